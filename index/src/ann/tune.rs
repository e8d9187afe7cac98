//! The search ef a graph needs, measured on the graph itself right after it is built.
//!
//! Why not one fixed default: the ef that reaches a given recall grows with the number of rows
//! and with how spread out the vectors are. On the clustered fixtures, recall@10 >= 0.95 took
//! ef 192 at 100k × 384 but ef 768 at 1M × 128 (`benches/RESULTS.md`); a fixed 64 gave 0.82
//! and 0.56. A default that is right for one library is either slow or wrong for the other, so
//! each graph carries its own, stored in the manifest beside the build parameters.
//!
//! How: a fixed sample of the graph's own rows is searched at growing ef until the mean
//! recall@10 of their nearest other rows reaches [`TARGET_RECALL`]. How a row is posed as a
//! query matters: a row left in the graph is an easier query than a new track, by an amount
//! that changes with the graph (aimed at 0.98, such rows chose ef 1 536 at 3M where new tracks
//! need 512), so the pass hides each sampled row from its own walk and aims at the recall
//! users are promised; hidden rows follow held-out queries' recall closely
//! (`benches/RESULTS.md`, "The tuning pass poses its rows as new tracks").

use crate::ann::graph::AnnGraph;
use crate::error::Result;
use crate::exact::{Hit, Rows, top_k_normalised};
use crate::vectors::VectorFile;

/// Recall@10 the tuned ef must reach on the hidden sample rows: the promised 0.95, since a
/// hidden row is, if anything, a harder query than a new track.
pub const TARGET_RECALL: f64 = 0.95;
/// Rows searched (fewer if the graph is smaller).
const SAMPLE: u64 = 200;
const K: usize = 10;
/// The ef values tried, in order; the last is used if none reaches the target.
pub const LADDER: &[usize] = &[
    32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
];

/// How a sampled library row is posed as a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleQuery {
    /// The row stays in the graph and is left out of its own results only: the walk can end
    /// on it, and its links are its nearest rows, so it is an easier query than a new track.
    InGraph,
    /// The walk treats the row as never inserted ([`AnnGraph::search_hiding`]). Harder than a
    /// new track, if anything: the graph's links around it were chosen with it present.
    Hidden,
}

/// The smallest ef of [`LADDER`] at which `graph` (over the first `graph.rows()` rows of
/// `vectors`) reaches [`TARGET_RECALL`] on its hidden sample rows; `threads` for the exact
/// scans.
pub fn tune_search_ef(graph: &AnnGraph, vectors: &VectorFile, threads: usize) -> Result<usize> {
    let Some(sample) = Sample::draw(graph, vectors, threads)? else {
        return Ok(LADDER[0]);
    };
    for &ef in LADDER {
        if sample.recall(graph, vectors, ef, SampleQuery::Hidden)? >= TARGET_RECALL {
            return Ok(ef);
        }
    }
    Ok(LADDER[LADDER.len() - 1])
}

/// The tuning sample's recall@10 at one ef, its rows posed both ways.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplePoint {
    pub ef: usize,
    /// Rows left in the graph, each dropped from its own results (the easier query).
    pub in_graph: f64,
    /// Rows hidden from their own walks (what the pass aims at [`TARGET_RECALL`]).
    pub hidden: f64,
}

/// What the tuning pass sees at each of `efs`, for benchmarks that set it beside held-out
/// queries. Empty for a graph of too few rows to sample.
pub fn sample_recall(
    graph: &AnnGraph,
    vectors: &VectorFile,
    threads: usize,
    efs: &[usize],
) -> Result<Vec<SamplePoint>> {
    let Some(sample) = Sample::draw(graph, vectors, threads)? else {
        return Ok(vec![]);
    };
    efs.iter()
        .map(|&ef| {
            Ok(SamplePoint {
                ef,
                in_graph: sample.recall(graph, vectors, ef, SampleQuery::InGraph)?,
                hidden: sample.recall(graph, vectors, ef, SampleQuery::Hidden)?,
            })
        })
        .collect()
}

/// Evenly spaced graph rows and the exact nearest other rows of each.
struct Sample {
    rows: Vec<u64>,
    truth: Vec<Vec<u64>>,
}

impl Sample {
    /// `None` when the graph has too few rows for a row to have [`K`] others.
    fn draw(graph: &AnnGraph, vectors: &VectorFile, threads: usize) -> Result<Option<Sample>> {
        let n = graph.rows();
        if n <= K as u64 + 1 {
            return Ok(None);
        }
        let step = (n / SAMPLE).max(1);
        let rows: Vec<u64> = (0..n)
            .step_by(step as usize)
            .take(SAMPLE as usize)
            .collect();
        let truth = rows
            .iter()
            .map(|&r| {
                let q = vectors.row(r as usize);
                let hits = top_k_normalised(vectors, q, K + 1, Rows::Range(0, n), threads)?;
                Ok(others(hits, r))
            })
            .collect::<Result<_>>()?;
        Ok(Some(Sample { rows, truth }))
    }

    fn recall(
        &self,
        graph: &AnnGraph,
        vectors: &VectorFile,
        ef: usize,
        how: SampleQuery,
    ) -> Result<f64> {
        let (mut found, mut all) = (0usize, 0usize);
        for (&r, want) in self.rows.iter().zip(&self.truth) {
            let q = vectors.row(r as usize);
            let hits = match how {
                SampleQuery::InGraph => graph.search(vectors, q, K + 1, ef, None)?,
                SampleQuery::Hidden => graph.search_hiding(vectors, q, K, ef, r as u32)?,
            };
            let got = others(hits, r);
            found += want.iter().filter(|w| got.contains(w)).count();
            all += want.len();
        }
        Ok(found as f64 / all.max(1) as f64)
    }
}

/// The first [`K`] rows of `hits` other than `me`.
fn others(hits: Vec<Hit>, me: u64) -> Vec<u64> {
    hits.into_iter()
        .map(|h| h.row)
        .filter(|&r| r != me)
        .take(K)
        .collect()
}
