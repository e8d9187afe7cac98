//! Vector search over one embedding space: exact scan or graph walk, chosen per query, with
//! the rows appended after the graph was built scanned exactly and merged.

use roaring::RoaringBitmap;

use segue_index::IndexError;
use segue_index::ann::{AnnGraph, Budget, Crossing, RowBits, WalkFilter};
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
    /// The walk gave up — the rows around the query were (nearly) all rejected, it could not
    /// find `k` allowed rows even at its widest, or it would have cost more than scanning the
    /// allowed rows — and the allowed rows were scanned.
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

/// The planner's cost model, in similarity-equivalents (one similarity a graph walk computes),
/// fitted to the calibration in `benches/RESULTS.md` (both plans forced on every filter):
///
/// * an exact scan costs [`SCAN_ROW_COST`] per allowed row: rows are read in order, so a
///   scanned row costs a fraction of a walk's similarity, which reads a row at random (at
///   1M × 128, 47–104 ns a scanned row against 260 ns a walk's similarity);
/// * a filtered walk that crosses rejected rows by two hops (ACORN) from seeds among the
///   allowed rows costs about [`WALK_SIMS_PER_EF`] × ef whatever the filter (15.9–18.4 at
///   1M × 128 from 1% to 50% of the rows): it moves among allowed rows as an unfiltered walk
///   moves among all rows, trading similarities for hops (counted at [`HOP_WEIGHT`] each,
///   0.86 of a similarity by the same fit).
///
/// The walk is chosen when its estimate is below the scan's; it may then spend up to the scan's
/// cost before it gives up and scans, so a bad estimate costs at most twice the scan and never
/// loses recall.
pub const SCAN_ROW_COST: f64 = 0.3;
/// Similarities an unfiltered walk computes per unit of ef (see [`SCAN_ROW_COST`]).
pub const WALK_SIMS_PER_EF: f64 = 18.0;
/// A hop (reading a rejected row's links) in similarities.
pub const HOP_WEIGHT: f64 = 0.85;
/// An unfiltered query walks the graph unless the graph holds at most this many rows per unit
/// of ef: then the walk would reach most rows anyway. (By the cost model the two plans cross
/// nearer 60 rows per ef, where either takes a fraction of a millisecond; up to there the
/// graph a user built, at the ef they chose or the tuned one, answers.)
pub const TINY_GRAPH_ROWS_PER_EF: u64 = 8;

/// Allowed rows the filtered walk starts from besides the graph's entry point, spread evenly
/// over the allowed set: enough that every region holding a few percent of the allowed rows
/// has one, for the cost of as many similarities.
pub const SEEDS: u64 = 64;

/// A filtered walk is given up for a scan when the share of allowed rows around the query's
/// entry point is below this fraction of the filter's share of the whole graph: the filter is
/// correlated with the vectors and leaves the query's region (nearly) empty, where no walk
/// finds the answers well (`segue_index::ann::walk`). A random filter's share near the entry
/// is about its global share (a sample of a few hundred rows), so it walks.
pub const NEARBY_SHARE_RATIO: f64 = 0.25;

/// The ef of a walk among a `share` of the graph's rows, for a graph whose walks need `ef`:
/// the two-hop walk moves among the allowed rows as if they were a graph of their own, and the
/// ef a graph needs grows with its rows (tuned: 192 at 100k, 1024 at 1M rows, about
/// `rows^0.73`). The walk's graph is a weaker one than a graph built for those rows, so ef
/// shrinks more slowly: as `share^0.5` (at 1M × 128, `share^0.73` cost the 10% filters 0.01–0.02
/// of recall for 20–30% more QPS: `benches/RESULTS.md`).
pub fn filtered_ef(ef: usize, share: f64) -> usize {
    ((ef as f64 * share.clamp(0.0, 1.0).sqrt()).ceil() as usize).max(MIN_FILTERED_EF)
}

/// Whether a two-hop walk can move among a `share` of the rows of a graph with `m0` links per
/// node: a node's two hops reach about `m0² · share` allowed rows, and below `m0` of them
/// (share < 1/m0, 3% at M = 16) the allowed rows fall apart into islands. At 1M × 128 a 1%
/// filter walked at recall 0.83–0.89 (`benches/RESULTS.md`); such filters are scanned.
pub fn two_hops_connect(share: f64, m0: u32) -> bool {
    share * f64::from(m0) >= 1.0
}

/// The least ef of a filtered walk.
pub const MIN_FILTERED_EF: usize = 64;

/// The estimated cost of an exact scan of `allowed` rows, in similarity-equivalents.
pub fn scan_cost(allowed: u64) -> f64 {
    allowed as f64 * SCAN_ROW_COST
}

/// The estimated cost of a filtered walk at `ef`, in similarity-equivalents.
pub fn walk_cost(ef: usize) -> f64 {
    ef as f64 * WALK_SIMS_PER_EF
}

/// [`SEEDS`] of the first `graph_allowed` rows of `allowed` (those in the graph), evenly
/// spaced in the set's order.
pub fn seeds(allowed: &RoaringBitmap, graph_allowed: u64) -> Vec<u32> {
    let n = SEEDS.min(graph_allowed);
    (0..n)
        .filter_map(|i| allowed.select((i * graph_allowed / n) as u32))
        .collect()
}

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
    let share = graph_allowed as f64 / in_graph.max(1) as f64;
    let walk_ef = match s.allowed {
        Some(_) => filtered_ef(s.ef, share),
        None => s.ef,
    }
    .max(s.k);
    if allowed_count <= s.k as u64
        || graph_allowed <= s.k as u64
        || match s.allowed {
            Some(_) => {
                !two_hops_connect(share, graph.m0())
                    || scan_cost(graph_allowed) <= walk_cost(walk_ef)
            }
            None => in_graph <= TINY_GRAPH_ROWS_PER_EF * walk_ef as u64,
        }
    {
        return Ok((scan(s, exact_rows)?, Plan::Exact));
    }
    let want = (s.k as u64).min(graph_allowed) as usize;
    let bits = s.allowed.map(|a| RowBits::new(a, in_graph));
    let allows = bits.as_ref().map(|b| move |r: u32| b.contains(r));
    let seed_rows = s
        .allowed
        .map(|a| seeds(a, graph_allowed))
        .unwrap_or_default();
    let filter = allows.as_ref().map(|f| WalkFilter {
        allows: f,
        crossing: Crossing::TwoHop,
        seeds: &seed_rows,
        least_nearby_share: NEARBY_SHARE_RATIO * share,
    });
    let mut budget = match s.allowed {
        Some(_) => Budget::new(scan_cost(graph_allowed), HOP_WEIGHT),
        None => Budget::unlimited(),
    };
    let mut ef = walk_ef;
    let walk = |ef: usize, budget: &mut Budget| match s.quantised {
        Some(q) => {
            graph.search_quantised_within(s.vectors, q, s.query, s.k, ef, filter.as_ref(), budget)
        }
        None => graph.search_within(s.vectors, s.query, s.k, ef, filter.as_ref(), budget),
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
