//! Vector search over one embedding space: exact scan or graph walk, chosen per query, with
//! the rows appended after the graph was built scanned exactly and merged.

use roaring::RoaringBitmap;

use segue_index::IndexError;
use segue_index::ann::AnnGraph;
use segue_index::exact::{Hit, Rows, top_k_normalised};
use segue_index::quantised::{QuantisedVectors, top_k_quantised};
use segue_index::vectors::VectorFile;

/// How a vector query was answered (reported in [`crate::search::SearchStats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// Every allowed row scanned.
    Exact,
    /// The graph walked with this final `ef` (after any widening), the tail scanned.
    Graph { ef: usize },
    /// The walk gave up — it could not find `k` allowed rows even at its widest, or it would
    /// have cost more than scanning the allowed rows — and the allowed rows were scanned.
    GraphThenExact,
}

/// Inputs of one vector search.
#[derive(Debug, Clone, Copy)]
pub struct VectorSearch<'a> {
    pub vectors: &'a VectorFile,
    /// The int8 copy of the vectors, walked and scanned instead of them when present (the
    /// final candidates are re-ranked on `vectors`).
    pub quantised: Option<&'a QuantisedVectors>,
    pub graph: Option<&'a AnnGraph>,
    /// Normalised query of the vectors' dimension.
    pub query: &'a [f32],
    pub k: usize,
    pub ef: usize,
    /// Allowed rows; `None` allows all.
    pub allowed: Option<&'a RoaringBitmap>,
    pub exact: bool,
    pub threads: usize,
}

/// The graph walk visits roughly `ef / selectivity` nodes and computes a distance for each of
/// their new neighbours; an exact scan computes one per allowed row. Scanning wins when
/// `allowed <= COST_RATIO * ef / selectivity`, i.e. `selectivity² <= COST_RATIO * ef / rows`
/// (about 2% of a million rows at ef 64; measured at 1M × 128 with a filter independent of the
/// vectors, the crossover lies between 2% and 5%: `benches/RESULTS.md`, planner calibration).
pub const COST_RATIO: f64 = 8.0;

/// The estimate above assumes the allowed rows are spread over the graph. A filter correlated
/// with the vectors (a BPM range, when tempo follows the style) leaves them in a few regions,
/// and the walk can pass through most of the graph before it finds them. So a filtered walk
/// may compute at most this many similarities per allowed row, the cost of scanning them;
/// beyond it the walk stops and the allowed rows are scanned, which bounds a filtered query at
/// about twice the scan's cost and never loses recall to a bad estimate.
pub const WALK_BUDGET_PER_ALLOWED_ROW: f64 = 1.0;

/// The top-k over `rows` by a scan: of the int8 copy re-ranked on f32 when there is one, else
/// (and always for a request that asks for exact search: the ground truth) of the f32 rows.
fn scan(s: &VectorSearch<'_>, rows: Rows<'_>) -> Result<Vec<Hit>, IndexError> {
    match s.quantised.filter(|_| !s.exact) {
        Some(q) => top_k_quantised(s.vectors, q, s.query, s.k, rows, s.threads),
        None => top_k_normalised(s.vectors, s.query, s.k, rows, s.threads),
    }
}

/// `k` best rows (fewer only if fewer are allowed), best first, and how they were found.
pub fn search(s: &VectorSearch<'_>) -> Result<(Vec<Hit>, Plan), IndexError> {
    let rows = s.vectors.rows();
    let allowed_count = s.allowed.map_or(rows, |a| a.len().min(rows));
    let exact_rows = match s.allowed {
        Some(a) => Rows::Set(a),
        None => Rows::All,
    };
    let Some(graph) = s.graph.filter(|g| g.rows() > 0 && !s.exact) else {
        return Ok((scan(s, exact_rows)?, Plan::Exact));
    };
    let in_graph = graph.rows();
    // Allowed rows the graph can return, and those it cannot (appended since it was built).
    let (graph_allowed, tail_rows): (u64, Rows<'_>) = match s.allowed {
        None => (in_graph, Rows::Range(in_graph, rows)),
        Some(a) => (a.range_cardinality(..in_graph as u32), Rows::Set(a)),
    };
    // The walk's cost depends on how many of the graph's own rows pass the filter: a filter
    // that allows mostly appended rows would make it walk the graph for nothing.
    let selectivity = graph_allowed as f64 / in_graph.max(1) as f64;
    if allowed_count <= s.k as u64
        || graph_allowed <= s.k as u64
        || selectivity * selectivity <= COST_RATIO * s.ef as f64 / in_graph as f64
    {
        return Ok((scan(s, exact_rows)?, Plan::Exact));
    }
    let want = (s.k as u64).min(graph_allowed) as usize;
    let filter = s.allowed.map(|a| move |r: u32| a.contains(r));
    let filter_ref: Option<&(dyn Fn(u32) -> bool + Sync)> =
        filter.as_ref().map(|f| f as &(dyn Fn(u32) -> bool + Sync));
    let mut budget = match s.allowed {
        Some(_) => (graph_allowed as f64 * WALK_BUDGET_PER_ALLOWED_ROW) as usize,
        None => usize::MAX,
    };
    let mut ef = s.ef.max(s.k);
    let walk = |ef: usize, budget: &mut usize| match s.quantised {
        Some(q) => {
            graph.search_quantised_within(s.vectors, q, s.query, s.k, ef, filter_ref, budget)
        }
        None => graph.search_within(s.vectors, s.query, s.k, ef, filter_ref, budget),
    };
    let mut hits = walk(ef, &mut budget)?;
    // Widen until k allowed rows are found; a filter correlated with the embedding can leave
    // the allowed rows far from where the walk starts.
    while hits.as_ref().is_some_and(|h| h.len() < want)
        && (ef as u64) < graph_allowed.max(1) * 4
        && ef < 1 << 16
    {
        ef *= 4;
        hits = walk(ef, &mut budget)?;
    }
    let Some(mut hits) = hits.filter(|h| h.len() >= want) else {
        // Over budget, or the walk cannot reach k allowed rows (a disconnected corner of the
        // graph): scan.
        return Ok((scan(s, exact_rows)?, Plan::GraphThenExact));
    };
    let mut plan = Plan::Graph { ef };
    if in_graph < rows {
        let tail = match tail_rows {
            Rows::Set(a) => {
                let mut t = a.clone();
                t.remove_range(..in_graph as u32);
                scan(s, Rows::Set(&t))?
            }
            other => scan(s, other)?,
        };
        if !tail.is_empty() {
            hits.extend(tail);
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
            hits.truncate(s.k);
            plan = Plan::Graph { ef };
        }
    }
    Ok((hits, plan))
}

#[cfg(test)]
#[path = "vector_tests.rs"]
mod tests;
