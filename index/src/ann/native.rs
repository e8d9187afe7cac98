//! Our own HNSW builder: the insert algorithm of Malkov & Yashunin (2018) as hnswlib implements
//! it (heuristic neighbour selection, links shrunk with the same heuristic when a list is full,
//! a lock per node so several threads insert at once), writing straight into the flat arrays of
//! [`GraphData`].
//!
//! Why not only hnsw_rs: with the same M and ef_construction its insert loop took 3.2× (one
//! thread) to 3.6× (two threads) as long as hnswlib on 100k × 384 (`benches/RESULTS.md`). The
//! distance was already ours; the time went into its bookkeeping (points behind `Arc`s and
//! read-write locks, a hash set of visited points per search). Here a search during the build
//! walks the same flat arrays and visited set as a query does.
//!
//! Two differences from hnswlib, both cheaper and neither worse for the graph: the next layer's
//! search starts from the whole candidate list of the layer above (the paper's `ep ← W`; the
//! similarities are already known, so it costs nothing), and levels are drawn from a seeded
//! generator, so a one-thread build is reproducible bit for bit.

use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ann::build::{GraphData, NO_NODE, UpperLayer};
use crate::ann::scored::{Scored, Worst};
use crate::ann::visited::{Visited, with_visited};
use crate::ann::walk::{F32Rows, Int8Rows, Similarity};
use crate::huge_pages::ZeroedWords;
use crate::kernels::{self, Kernel};
use crate::quantised::QuantisedVectors;

/// Highest layer a node can be drawn on (hnsw_rs's limit too; with m >= 2 a level above 15 has
/// a probability below 2^-15 per row).
const MAX_LEVEL: usize = 15;
/// Seed of the level draws: fixed, so the same rows give the same levels.
const LEVEL_SEED: u64 = 0x5E60_E0A0_0001;

/// The graph while it is being built. Link lists are atomics so that threads can read and write
/// them without `unsafe`; a per-node mutex makes each list's update (count and links) appear
/// whole to readers, who take the same lock to copy it out.
struct Building<'a> {
    data: &'a [f32],
    /// The int8 copy of `data` that inserts walk on, when given (see [`build`]).
    quantised: Option<&'a QuantisedVectors>,
    dim: usize,
    m: usize,
    m0: usize,
    ef_construction: usize,
    kernel: &'static Kernel,
    levels: Vec<u8>,
    /// `n × (1 + m0)` words: count, then links; on huge pages where granted (every insert
    /// reads and writes records all over it: `huge_pages`).
    level0: ZeroedWords,
    /// Per node, `level × (1 + m)` words for layers `1..=level` (empty for most nodes).
    upper: Vec<Box<[AtomicU32]>>,
    locks: Vec<Mutex<()>>,
    /// (entry node, its level): every insert starts its descent here.
    top: Mutex<(u32, usize)>,
}

/// Draws each row's top layer: `floor(-ln(U) / ln(m))`, the distribution the paper prescribes
/// (each layer holds about `1/m` of the one below).
pub fn draw_levels(n: usize, m: usize) -> Vec<u8> {
    let ml = 1.0 / (m as f64).ln();
    let mut rng = ChaCha8Rng::seed_from_u64(LEVEL_SEED);
    (0..n)
        .map(|_| {
            let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
            ((-u.ln() * ml) as usize).min(MAX_LEVEL) as u8
        })
        .collect()
}

impl<'a> Building<'a> {
    fn new(
        data: &'a [f32],
        quantised: Option<&'a QuantisedVectors>,
        dim: usize,
        n: usize,
        m: usize,
        ef_construction: usize,
    ) -> Self {
        let m0 = 2 * m;
        let levels = draw_levels(n, m);
        let upper = levels
            .iter()
            .map(|&l| {
                (0..l as usize * (1 + m))
                    .map(|_| AtomicU32::new(0))
                    .collect()
            })
            .collect();
        Building {
            data,
            quantised,
            dim,
            m,
            m0,
            ef_construction,
            kernel: kernels::selected(),
            level0: ZeroedWords::new(n * (1 + m0)),
            upper,
            locks: (0..n).map(|_| Mutex::new(())).collect(),
            top: Mutex::new((0, levels[0] as usize)),
            levels,
        }
    }

    #[inline]
    fn row(&self, node: u32) -> &[f32] {
        let s = node as usize * self.dim;
        &self.data[s..s + self.dim]
    }

    #[inline]
    fn sim(&self, a: &[f32], node: u32) -> f32 {
        self.kernel.dot(a, self.row(node))
    }

    /// The link record (count, then links) of `node` on `layer`.
    fn record(&self, node: u32, layer: usize) -> &[AtomicU32] {
        if layer == 0 {
            let stride = 1 + self.m0;
            &self.level0.as_slice()[node as usize * stride..(node as usize + 1) * stride]
        } else {
            let stride = 1 + self.m;
            &self.upper[node as usize][(layer - 1) * stride..layer * stride]
        }
    }

    fn cap(&self, layer: usize) -> usize {
        if layer == 0 { self.m0 } else { self.m }
    }

    /// Copies the links of `node` on `layer` into `out`.
    fn links_into(&self, node: u32, layer: usize, out: &mut Vec<u32>) {
        out.clear();
        let rec = self.record(node, layer);
        let _guard = lock(&self.locks[node as usize]);
        let count = rec[0].load(Relaxed) as usize;
        out.extend(rec[1..=count].iter().map(|w| w.load(Relaxed)));
    }

    /// Replaces the links of `node` on `layer`; the caller holds the node's lock.
    fn store(&self, node: u32, layer: usize, links: &[u32]) {
        let rec = self.record(node, layer);
        for (w, &id) in rec[1..].iter().zip(links) {
            w.store(id, Relaxed);
        }
        rec[0].store(links.len() as u32, Relaxed);
    }

    /// Inserts row `q`, whose vector is not yet reachable from any other node.
    fn insert(&self, q: u32) {
        let qv = self.row(q);
        match self.quantised {
            Some(q8) => {
                let query = q8
                    .query(qv)
                    .expect("build() checked the int8 copy's dimension");
                self.insert_walking(
                    q,
                    &Int8Rows {
                        quantised: q8,
                        query: &query,
                    },
                );
            }
            None => self.insert_walking(
                q,
                &F32Rows {
                    kernel: self.kernel,
                    data: self.data,
                    dim: self.dim,
                    query: qv,
                },
            ),
        }
    }

    /// [`Self::insert`] with the walks' similarity `walk`: the descent and each layer's search
    /// rank nodes by it; the links are chosen on the f32 similarities.
    fn insert_walking<S: Similarity>(&self, q: u32, walk: &S) {
        let level = self.levels[q as usize] as usize;
        let top = lock(&self.top);
        let (entry, top_level) = *top;
        if entry == q {
            return; // the first node: nothing to link to
        }
        // A node that raises the top level keeps the lock for its whole insert (as hnswlib
        // does), so two such nodes cannot both become the entry over half-built layers.
        let raising = level > top_level;
        let held = if raising {
            Some(top)
        } else {
            drop(top);
            None
        };
        let qv = self.row(q);
        let mut ep = Scored {
            sim: walk.sim(entry),
            node: entry,
        };
        let mut buf = Vec::with_capacity(self.m0);
        for layer in (level + 1..=top_level).rev() {
            loop {
                self.links_into(ep.node, layer, &mut buf);
                let before = ep.node;
                for &nb in &buf {
                    let s = walk.sim(nb);
                    if s > ep.sim {
                        ep = Scored { sim: s, node: nb };
                    }
                }
                if ep.node == before {
                    break;
                }
            }
        }
        let mut eps = vec![ep];
        for layer in (0..=level.min(top_level)).rev() {
            let found = with_visited(self.levels.len(), |visited| {
                // Another thread may already have linked to `q` on this layer (it met `q` on
                // the layer above), so the walk could reach `q` itself, which would then be
                // its own nearest neighbour and link to itself.
                visited.insert(q);
                self.search_layer(walk, &eps, layer, visited)
            });
            // An int8 walk's similarities are approximate: the heuristic that picks the links
            // (and shrinks the neighbours' lists) compares them with f32 ones, so the
            // candidates are scored again on f32 first, as a query's re-rank does.
            let exact;
            let scored = if self.quantised.is_some() {
                exact = self.rescored(qv, &found);
                &exact
            } else {
                &found
            };
            let chosen = self.select(scored, self.m);
            self.link_new(q, layer, &chosen);
            for nb in &chosen {
                self.link_back(nb.node, q, nb.sim, layer);
            }
            eps = found;
        }
        if let Some(mut top) = held {
            *top = (q, level);
        }
    }

    /// `found` with f32 similarities to `qv`, best first.
    fn rescored(&self, qv: &[f32], found: &[Scored]) -> Vec<Scored> {
        let mut out: Vec<Scored> = found
            .iter()
            .map(|s| Scored {
                sim: self.sim(qv, s.node),
                node: s.node,
            })
            .collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out
    }

    /// Gives the new node `q` its links on `layer`. Another thread's insert may have linked to
    /// `q` here already (it met `q` on the layer above and took it as a neighbour): those links
    /// are kept beside `chosen`, shrunk with the heuristic if together they overflow the list.
    fn link_new(&self, q: u32, layer: usize, chosen: &[Scored]) {
        let rec = self.record(q, layer);
        let _guard = lock(&self.locks[q as usize]);
        let count = rec[0].load(Relaxed) as usize;
        if count == 0 {
            self.store(q, layer, &chosen.iter().map(|s| s.node).collect::<Vec<_>>());
            return;
        }
        let qv = self.row(q);
        let mut cands = chosen.to_vec();
        for w in &rec[1..=count] {
            let id = w.load(Relaxed);
            if !cands.iter().any(|c| c.node == id) {
                cands.push(Scored {
                    sim: self.sim(qv, id),
                    node: id,
                });
            }
        }
        cands.sort_unstable_by(|a, b| b.cmp(a));
        let kept: Vec<u32> = self
            .select(&cands, self.cap(layer))
            .iter()
            .map(|s| s.node)
            .collect();
        self.store(q, layer, &kept);
    }

    /// Adds `q` to the links of `node` (similarity `sim` between them); a full list is shrunk
    /// back to its capacity with the selection heuristic.
    fn link_back(&self, node: u32, q: u32, sim: f32, layer: usize) {
        let cap = self.cap(layer);
        let rec = self.record(node, layer);
        let _guard = lock(&self.locks[node as usize]);
        let count = rec[0].load(Relaxed) as usize;
        // Two nodes inserted at once can each choose the other: `node` then links to `q`
        // already.
        if rec[1..=count].iter().any(|w| w.load(Relaxed) == q) {
            return;
        }
        if count < cap {
            rec[1 + count].store(q, Relaxed);
            rec[0].store(count as u32 + 1, Relaxed);
            return;
        }
        let nv = self.row(node);
        let mut cands: Vec<Scored> = rec[1..=count]
            .iter()
            .map(|w| {
                let id = w.load(Relaxed);
                Scored {
                    sim: self.sim(nv, id),
                    node: id,
                }
            })
            .collect();
        cands.push(Scored { sim, node: q });
        cands.sort_unstable_by(|a, b| b.cmp(a));
        let kept: Vec<u32> = self.select(&cands, cap).iter().map(|s| s.node).collect();
        self.store(node, layer, &kept);
    }

    /// hnswlib's `getNeighborsByHeuristic2`: going from the most similar candidate down, keep
    /// one only if it is more similar to the query than to every candidate already kept, so
    /// links point in different directions instead of all into the nearest cluster. `cands` is
    /// sorted best first.
    fn select(&self, cands: &[Scored], m: usize) -> Vec<Scored> {
        if cands.len() <= m {
            return cands.to_vec();
        }
        let mut kept: Vec<Scored> = Vec::with_capacity(m);
        for &c in cands {
            if kept.len() == m {
                break;
            }
            let cv = self.row(c.node);
            if kept.iter().all(|k| self.sim(cv, k.node) <= c.sim) {
                kept.push(c);
            }
        }
        kept
    }

    /// The `ef_construction` nodes on `layer` most similar by `walk`, reached from `eps`, best
    /// first.
    fn search_layer<S: Similarity>(
        &self,
        walk: &S,
        eps: &[Scored],
        layer: usize,
        visited: &mut Visited,
    ) -> Vec<Scored> {
        let ef = self.ef_construction;
        let mut candidates: BinaryHeap<Scored> = BinaryHeap::with_capacity(ef * 2);
        let mut results: BinaryHeap<Worst> = BinaryHeap::with_capacity(ef + 1);
        for &e in eps {
            if visited.insert(e.node) {
                candidates.push(e);
                results.push(Worst::new(e));
                if results.len() > ef {
                    results.pop();
                }
            }
        }
        let mut links = Vec::with_capacity(self.m0);
        let mut fresh = Vec::with_capacity(self.m0);
        while let Some(c) = candidates.pop() {
            let worst = results.peek().map_or(f32::NEG_INFINITY, |w| w.get().sim);
            if results.len() >= ef && c.sim < worst {
                break;
            }
            self.links_into(c.node, layer, &mut links);
            fresh.clear();
            for &nb in &links {
                visited.prefetch(nb);
            }
            for &nb in &links {
                if visited.insert(nb) {
                    walk.prefetch(nb);
                    fresh.push(nb);
                }
            }
            for &nb in &fresh {
                let sim = walk.sim(nb);
                let worst = results.peek().map_or(f32::NEG_INFINITY, |w| w.get().sim);
                if results.len() < ef || sim > worst {
                    let s = Scored { sim, node: nb };
                    candidates.push(s);
                    results.push(Worst::new(s));
                    if results.len() > ef {
                        results.pop();
                    }
                }
            }
        }
        let mut out: Vec<Scored> = results.into_iter().map(|w| w.get()).collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out
    }

    /// The finished graph as flat arrays.
    fn into_graph(self, mut g: GraphData) -> GraphData {
        let (entry, top_level) = *lock(&self.top);
        g.entry = entry;
        let n = self.levels.len();
        g.level0 = Vec::with_capacity(n * (1 + self.m0));
        for rec in self.level0.as_slice().chunks_exact(1 + self.m0) {
            push_record(&mut g.level0, rec);
        }
        g.upper = (1..=top_level)
            .map(|layer| {
                let ids: Vec<u32> = (0..n as u32)
                    .filter(|&r| self.levels[r as usize] as usize >= layer)
                    .collect();
                let mut adj = Vec::with_capacity(ids.len() * (1 + self.m));
                for &id in &ids {
                    push_record(&mut adj, self.record(id, layer));
                }
                UpperLayer { ids, adj }
            })
            .collect();
        g
    }
}

/// Appends a link record in the file layout: count, links, [`NO_NODE`] padding.
fn push_record(out: &mut Vec<u32>, rec: &[AtomicU32]) {
    let count = rec[0].load(Relaxed) as usize;
    out.push(count as u32);
    out.extend(rec[1..=count].iter().map(|w| w.load(Relaxed)));
    out.extend(std::iter::repeat_n(NO_NODE, rec.len() - 1 - count));
}

/// A poisoned lock only means another insert panicked; the panic is re-raised by the thread
/// pool, so the data behind the lock is never used afterwards.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the graph over the first `g.rows` rows of `data` (`dim`-wide, normalised) into `g`,
/// inserting in row order on `pool` (or on this thread when `threads == 1`). `progress` gets
/// the rows inserted so far, every `chunk` rows.
///
/// With `quantised` (an int8 copy of `data` of the same dimension, covering the rows), each
/// insert walks the graph on the codes (a quarter of the bytes per similarity, which is what a
/// walk over millions of rows waits on) and scores only the candidates it found on `data`.
pub fn build(
    data: &[f32],
    quantised: Option<&QuantisedVectors>,
    g: GraphData,
    threads: usize,
    pool: &rayon::ThreadPool,
    chunk: usize,
    progress: &dyn Fn(u64),
) -> GraphData {
    use rayon::prelude::*;
    let n = g.rows as usize;
    let b = Building::new(
        data,
        quantised,
        g.dim as usize,
        n,
        g.m as usize,
        g.ef_construction as usize,
    );
    let mut done = 0usize;
    while done < n {
        let end = (done + chunk).min(n);
        if threads == 1 || done == 0 {
            // The first rows alone: a graph of a few nodes gains nothing from two threads.
            let end = if done == 0 { end.min(1024) } else { end };
            for q in done..end {
                b.insert(q as u32);
            }
            done = end;
        } else {
            pool.install(|| (done..end).into_par_iter().for_each(|q| b.insert(q as u32)));
            done = end;
        }
        progress(done as u64);
    }
    b.into_graph(g)
}
