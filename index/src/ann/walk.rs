//! The layer-0 walk of a graph search, what it costs, and how it gets past the rows a filter
//! rejects.
//!
//! Unfiltered, the walk is HNSW's: expand the best candidate, compute the similarity of each
//! neighbour not yet seen, keep the `ef` best, stop when the best candidate left is worse than
//! the worst kept. A filter changes which rows may be *kept*; [`Crossing`] says how the walk
//! gets past the others:
//!
//! * [`Crossing::Through`]: rejected rows are walked like any other (their similarity is
//!   computed) and only allowed rows are kept. Cheap per step, but under a filter that is
//!   correlated with the vectors (a BPM window, when tempo follows the style) the walk wanders
//!   through rejected regions: at 1M × 128 a 10% BPM window cost it 115 similarities per kept
//!   row where a random 10% filter cost 16 (`benches/RESULTS.md`, planner calibration).
//! * [`Crossing::TwoHop`] (ACORN-1, Patel et al., SIGMOD 2024, on an ordinary HNSW graph):
//!   similarities are computed for allowed rows only; a rejected neighbour is replaced by its
//!   own allowed neighbours, until the step has found as many new rows as a node has links.
//!   The walk then moves inside the allowed rows as if they had a graph of their own.
//!
//! Either way the walk also starts from [`WalkFilter::seeds`], allowed rows spread over the
//! filter's set: the graph's entry point leads to the query's region of the whole catalogue,
//! which a correlated filter may leave empty, while the best seed starts the walk among allowed
//! rows near the query.
//!
//! When that region *is* nearly empty of allowed rows, no walk does well: the query's answers
//! are the allowed rows of other regions that happen to lie nearest it, and within a region
//! far from the query the similarity to it is mostly noise, which a greedy walk cannot climb
//! (on the clustered fixture, such queries held ACORN's recall under a BPM filter to 0.84–0.93
//! where random filters of the same size gave 1.0). [`WalkFilter::least_nearby_share`] lets
//! the caller stop before walking, from the share of allowed rows around the entry point, and
//! scan the allowed rows instead.

use std::collections::BinaryHeap;

use crate::ann::graph::AnnGraph;
use crate::ann::scored::{Scored, Worst};
use crate::ann::visited::Visited;
use crate::exact::Hit;
use crate::kernels::{Kernel, prefetch, prefetch_row};
use crate::quantised::{QuantisedQuery, QuantisedVectors};

/// How a filtered walk gets past rows the filter rejects (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    Through,
    TwoHop,
}

/// Which rows a walk may return, how it crosses the others, and where else it starts.
#[derive(Clone, Copy)]
pub struct WalkFilter<'a> {
    /// True for the rows the walk may return.
    pub allows: &'a (dyn Fn(u32) -> bool + Sync),
    pub crossing: Crossing,
    /// Allowed rows the walk starts from besides the graph's entry point (rows beyond the
    /// graph are ignored).
    pub seeds: &'a [u32],
    /// The walk gives up (as over budget) when fewer than this share of the rows around the
    /// query's entry point on layer 0 are allowed ([`AnnGraph::nearby_share`]); 0 never does.
    pub least_nearby_share: f64,
}

// Not derived: the predicate has no `Debug`.
impl std::fmt::Debug for WalkFilter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalkFilter")
            .field("crossing", &self.crossing)
            .field("seeds", &self.seeds.len())
            .finish_non_exhaustive()
    }
}

impl<'a> WalkFilter<'a> {
    /// Walks through rejected rows, from the graph's entry point only.
    pub fn through(allows: &'a (dyn Fn(u32) -> bool + Sync)) -> WalkFilter<'a> {
        WalkFilter {
            allows,
            crossing: Crossing::Through,
            seeds: &[],
            least_nearby_share: 0.0,
        }
    }
}

/// What a walk computed: similarities, and the link records of rejected rows it read to get
/// past them ([`Crossing::TwoHop`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effort {
    pub sims: usize,
    pub hops: usize,
}

/// The effort a caller lets its walks spend, in similarity-equivalents: a walk that passes
/// `limit` gives up. `spent` adds up over every walk given the same budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub spent: Effort,
    pub limit: f64,
    /// What a hop (one rejected row's link record read) costs, in similarities.
    pub hop_weight: f64,
}

impl Budget {
    pub fn unlimited() -> Budget {
        Budget::new(f64::INFINITY, 1.0)
    }

    pub fn new(limit: f64, hop_weight: f64) -> Budget {
        Budget {
            spent: Effort::default(),
            limit,
            hop_weight,
        }
    }

    /// Effort spent, in similarity-equivalents.
    pub fn cost(&self) -> f64 {
        self.spent.sims as f64 + self.spent.hops as f64 * self.hop_weight
    }

    fn exhausted(&self) -> bool {
        self.cost() > self.limit
    }
}

/// The similarity a walk ranks nodes by.
pub(super) trait Similarity {
    fn sim(&self, node: u32) -> f32;
    /// Starts loading what `sim(node)` will read.
    fn prefetch(&self, node: u32);
}

/// The f32 rows' dot product with the query.
pub(super) struct F32Rows<'a> {
    pub kernel: &'a Kernel,
    pub data: &'a [f32],
    pub dim: usize,
    pub query: &'a [f32],
}

impl Similarity for F32Rows<'_> {
    #[inline]
    fn sim(&self, node: u32) -> f32 {
        let s = node as usize * self.dim;
        self.kernel.dot(self.query, &self.data[s..s + self.dim])
    }

    #[inline]
    fn prefetch(&self, node: u32) {
        prefetch(&self.data[node as usize * self.dim..]);
    }
}

/// The int8 codes' approximate similarity.
pub(super) struct Int8Rows<'a> {
    pub quantised: &'a QuantisedVectors,
    pub query: &'a QuantisedQuery,
}

impl Similarity for Int8Rows<'_> {
    #[inline]
    fn sim(&self, node: u32) -> f32 {
        self.quantised.similarity(self.query, node as usize)
    }

    #[inline]
    fn prefetch(&self, node: u32) {
        // A row of codes is a few cache lines (6 at 384 dimensions): ask for all of them, where
        // an f32 row leaves the rest to the hardware prefetcher.
        prefetch_row(self.quantised.row(node as usize));
    }
}

/// One layer-0 walk: the graph, the similarity, the list size and the filter.
pub(super) struct Layer0Walk<'a, S> {
    pub graph: &'a AnnGraph,
    pub rows: &'a S,
    pub ef: usize,
    pub filter: Option<&'a WalkFilter<'a>>,
}

impl<S: Similarity> Layer0Walk<'_, S> {
    #[inline]
    fn allows(&self, node: u32) -> bool {
        self.filter.is_none_or(|f| (f.allows)(node))
    }

    /// The best `ef` allowed rows reachable from `entry` (and the seeds), best first; `None`
    /// when `budget` ran out first.
    pub fn run(
        &self,
        entry: Scored,
        visited: &mut Visited,
        budget: &mut Budget,
    ) -> Option<Vec<Hit>> {
        let ef = self.ef;
        let mut candidates: BinaryHeap<Scored> = BinaryHeap::with_capacity(ef * 2);
        let mut results: BinaryHeap<Worst> = BinaryHeap::with_capacity(ef + 1);
        let keep = |results: &mut BinaryHeap<Worst>, s: Scored| {
            results.push(Worst::new(s));
            if results.len() > ef {
                results.pop();
            }
        };
        visited.insert(entry.node);
        candidates.push(entry);
        if self.allows(entry.node) {
            keep(&mut results, entry);
        }
        let rows_in_graph = self.graph.rows();
        for &seed in self.filter.map_or(&[][..], |f| f.seeds) {
            if u64::from(seed) >= rows_in_graph || !visited.insert(seed) {
                continue;
            }
            let s = Scored {
                sim: self.rows.sim(seed),
                node: seed,
            };
            budget.spent.sims += 1;
            candidates.push(s);
            if self.allows(seed) {
                keep(&mut results, s);
            }
        }
        let two_hop = self.filter.is_some_and(|f| f.crossing == Crossing::TwoHop);
        let m0 = self.graph.m0() as usize;
        let mut fresh: Vec<u32> = Vec::with_capacity(2 * m0);
        let mut rejected: Vec<u32> = Vec::with_capacity(m0);
        while let Some(c) = candidates.pop() {
            let worst = results.peek().map_or(f32::NEG_INFINITY, |w| w.get().sim);
            if results.len() >= ef && c.sim < worst {
                break;
            }
            fresh.clear();
            if two_hop {
                self.allowed_within_two_hops(c.node, visited, &mut fresh, &mut rejected, budget);
            } else {
                let links = self.graph.links0(c.node);
                for &nb in links {
                    visited.prefetch(nb);
                }
                for &nb in links {
                    if visited.insert(nb) {
                        self.rows.prefetch(nb);
                        fresh.push(nb);
                    }
                }
            }
            budget.spent.sims += fresh.len();
            if budget.exhausted() {
                return None;
            }
            for &nb in &fresh {
                let sim = self.rows.sim(nb);
                let worst = results.peek().map_or(f32::NEG_INFINITY, |w| w.get().sim);
                if results.len() < ef || sim > worst {
                    candidates.push(Scored { sim, node: nb });
                    if self.allows(nb) {
                        keep(&mut results, Scored { sim, node: nb });
                    }
                }
            }
            // The links live apart from the vectors (unlike hnswlib's interleaved layout), so
            // start loading the next candidate's record while this iteration ends.
            if let Some(next) = candidates.peek() {
                prefetch(self.graph.record0(next.node));
            }
        }
        let mut hits: Vec<Hit> = results
            .into_iter()
            .map(|w| Hit {
                row: u64::from(w.get().node),
                score: w.get().sim,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
        Some(hits)
    }

    /// The unvisited allowed rows among `node`'s links and, in link order, among the links of
    /// its rejected links, until there are as many as a node has links (ACORN's truncation:
    /// a step costs at most about what an unfiltered step does). A rejected row is marked
    /// visited once its links have been read, so no walk reads them twice.
    fn allowed_within_two_hops(
        &self,
        node: u32,
        visited: &mut Visited,
        fresh: &mut Vec<u32>,
        rejected: &mut Vec<u32>,
        budget: &mut Budget,
    ) {
        let cap = self.graph.m0() as usize;
        rejected.clear();
        let links = self.graph.links0(node);
        for &nb in links {
            visited.prefetch(nb);
        }
        for &nb in links {
            if self.allows(nb) {
                if visited.insert(nb) {
                    self.rows.prefetch(nb);
                    fresh.push(nb);
                }
            } else if !visited.contains(nb) {
                prefetch(self.graph.record0(nb));
                rejected.push(nb);
            }
        }
        for &nb in rejected.iter() {
            if fresh.len() >= cap {
                break;
            }
            if !visited.insert(nb) {
                continue;
            }
            budget.spent.hops += 1;
            for &second in self.graph.links0(nb) {
                if self.allows(second) && visited.insert(second) {
                    self.rows.prefetch(second);
                    fresh.push(second);
                }
            }
        }
    }
}

/// `rows` with one row scored -∞: a walk never moves to it, and ends before expanding it
/// once it holds `ef` rows (`AnnGraph::search_hiding`).
pub(super) struct Hiding<S> {
    pub rows: S,
    pub hidden: u32,
}

impl<S: Similarity> Similarity for Hiding<S> {
    #[inline]
    fn sim(&self, node: u32) -> f32 {
        if node == self.hidden {
            f32::NEG_INFINITY
        } else {
            self.rows.sim(node)
        }
    }

    #[inline]
    fn prefetch(&self, node: u32) {
        self.rows.prefetch(node);
    }
}
