//! The memory-mapped graph and its search.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::ann::build::NO_NODE;
use crate::ann::format::{GraphHeader, GraphLayout, HEADER_BYTES, layout};
use crate::ann::scored::Scored;
use crate::ann::visited::with_visited;
use crate::ann::walk::{Budget, F32Rows, Hiding, Int8Rows, Layer0Walk, Similarity, WalkFilter};
use crate::error::{IndexError, IoContext, Result};
use crate::exact::{Hit, check_query_dim};
use crate::kernels;
use crate::manifest::FileRef;
use crate::quantised::{QuantisedVectors, rerank, rerank_depth};
use crate::vectors::VectorFile;

/// Nodes whose links [`AnnGraph::nearby_share`] reads: a few hundred rows, enough to tell a
/// region where a filter allows a tenth of the rows from one where it allows none.
pub const NEARBY_NODES: usize = 8;

/// A read-only HNSW graph over rows `0..rows()` of one vector file.
#[derive(Debug)]
pub struct AnnGraph {
    path: PathBuf,
    header: GraphHeader,
    map: Option<Mmap>,
    layout: GraphLayout,
}

impl AnnGraph {
    /// Maps the graph at `path` and checks it against the manifest entry (`expected`), against
    /// the vector file it indexes (dimension, rows) and against the CRC of the vector data it
    /// was built from (`vectors_crc32`, recorded in the manifest). The whole file's checksum
    /// and every link are checked too: the graph is a few bytes per vector element, so this
    /// costs milliseconds, and a bad link can then never reach the search loop.
    pub fn open(
        path: &Path,
        expected: &FileRef,
        vectors: &VectorFile,
        vectors_crc32: u32,
    ) -> Result<AnnGraph> {
        let file = File::open(path).at(path)?;
        let len = file.metadata().at(path)?.len();
        if len != expected.bytes {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "file is {len} bytes, the manifest says {}: truncated or from another version; run `segue reindex`",
                    expected.bytes
                ),
            ));
        }
        // SAFETY: published files are never modified (a new version writes a new file); we only
        // read through the map.
        let map = unsafe { Mmap::map(&file) }.at(path)?;
        // Walks read link records all over the file.
        crate::huge_pages::advise(&map);
        let header = GraphHeader::decode(path, &map)?;
        expected.check_body(path, &map[HEADER_BYTES..], header.data_crc32, "graph file")?;
        if header.dim != vectors.dim()
            || u64::from(header.rows) > vectors.rows()
            || header.vectors_crc32 != vectors_crc32
        {
            return Err(IndexError::corrupt(
                path,
                format!(
                    "graph does not match {} (graph: dim {}, {} rows, vector crc {:08x}; vectors: dim {}, {} rows, crc {:08x}); run `segue reindex`",
                    vectors.path().display(),
                    header.dim,
                    header.rows,
                    header.vectors_crc32,
                    vectors.dim(),
                    vectors.rows(),
                    vectors_crc32
                ),
            ));
        }
        if !(map.len() - HEADER_BYTES).is_multiple_of(4) {
            return Err(IndexError::corrupt(
                path,
                "graph body is not whole u32 words",
            ));
        }
        let mut graph = AnnGraph {
            path: path.into(),
            header,
            map: None,
            layout: GraphLayout {
                level0_words: 0,
                upper: vec![],
            },
        };
        graph.map = Some(map);
        graph.layout = layout(path, &header, graph.words())?;
        graph.check_links()?;
        Ok(graph)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the links from the file's mapping into this process's memory, on huge pages
    /// where granted (`huge_pages.rs`): a walk then reads them without page faults and with
    /// far fewer TLB misses. Costs a copy of the file and keeps it in memory. Where no memory
    /// can be had for the copy, the graph stays mapped: the copy changes speed, never answers.
    pub fn make_resident(&mut self) {
        if let Some(copy) = self
            .map
            .as_ref()
            .and_then(|m| crate::huge_pages::resident_copy(m).ok())
        {
            self.map = Some(copy);
        }
    }

    /// Rows `0..rows()` are in the graph; later rows (appended since) are not.
    pub fn rows(&self) -> u64 {
        u64::from(self.header.rows)
    }

    pub fn m(&self) -> u32 {
        self.header.m
    }

    pub fn ef_construction(&self) -> u32 {
        self.header.ef_construction
    }

    /// Links per node on layer 0 (at most).
    pub fn m0(&self) -> u32 {
        self.header.m0
    }

    pub fn layers(&self) -> u32 {
        self.header.layers
    }

    fn words(&self) -> &[u32] {
        let Some(map) = &self.map else { return &[] };
        // SAFETY: any bit pattern is a valid u32; the map is page-aligned and the header is 128
        // bytes, so the body is 4-byte aligned and align_to yields no prefix (checked below).
        let (pre, words, _) = unsafe { map[HEADER_BYTES..].align_to::<u32>() };
        debug_assert!(pre.is_empty());
        words
    }

    fn check_links(&self) -> Result<()> {
        let rows = self.header.rows;
        let bad = |what: String| {
            Err(IndexError::corrupt(
                &self.path,
                format!("{what}; run `segue reindex`"),
            ))
        };
        let check = |rec: &[u32], cap: usize, nodes_ok: &dyn Fn(u32) -> bool| -> bool {
            let count = rec[0] as usize;
            count <= cap && rec[1..=count].iter().all(|&id| id < rows && nodes_ok(id))
        };
        let m0 = self.header.m0 as usize;
        for (node, rec) in self.level0_all().chunks_exact(1 + m0).enumerate() {
            if !check(rec, m0, &|_| true) {
                return bad(format!("layer 0 links of node {node} are out of range"));
            }
        }
        let m = self.header.m as usize;
        for (i, &(n, ids, adj)) in self.layout.upper.iter().enumerate() {
            let words = self.words();
            let ids = &words[ids..ids + n];
            if ids.windows(2).any(|w| w[0] >= w[1]) || ids.last().is_some_and(|&x| x >= rows) {
                return bad(format!(
                    "layer {} node list is not sorted or out of range",
                    i + 1
                ));
            }
            let on_layer = |id: u32| ids.binary_search(&id).is_ok();
            for rec in words[adj..adj + n * (1 + m)].chunks_exact(1 + m) {
                if !check(rec, m, &on_layer) {
                    return bad(format!("layer {} has a link to a node not on it", i + 1));
                }
            }
        }
        if self.header.layers > 1 {
            let top = self.layout.upper.len() - 1;
            if self.slot(top, self.header.entry).is_none() {
                return bad("the entry node is not on the top layer".into());
            }
        }
        Ok(())
    }

    fn level0_all(&self) -> &[u32] {
        &self.words()[..self.layout.level0_words]
    }

    /// The layer-0 record of `node`: link count, then links.
    #[inline]
    pub(super) fn record0(&self, node: u32) -> &[u32] {
        let stride = 1 + self.header.m0 as usize;
        &self.words()[node as usize * stride..(node as usize + 1) * stride]
    }

    #[inline]
    pub(super) fn links0(&self, node: u32) -> &[u32] {
        let rec = self.record0(node);
        &rec[1..=rec[0] as usize]
    }

    /// Position of `node` on upper layer index `u` (layer `u + 1`).
    fn slot(&self, u: usize, node: u32) -> Option<usize> {
        let (n, ids, _) = self.layout.upper[u];
        self.words()[ids..ids + n].binary_search(&node).ok()
    }

    fn links_upper(&self, u: usize, slot: usize) -> &[u32] {
        let (_, _, adj) = self.layout.upper[u];
        let stride = 1 + self.header.m as usize;
        let rec = &self.words()[adj + slot * stride..adj + (slot + 1) * stride];
        &rec[1..=rec[0] as usize]
    }

    /// The `k` most similar graph rows to `query` (normalised, of the graph's dimension) among
    /// those `filter` allows (all when `None`), best first. `ef` (raised to `k`) is the
    /// candidate list size. A query or vector file of another dimension than the graph's, or a
    /// vector file with fewer rows, is an error.
    pub fn search(
        &self,
        vectors: &VectorFile,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: Option<&WalkFilter<'_>>,
    ) -> Result<Vec<Hit>> {
        let mut unlimited = Budget::unlimited();
        Ok(self
            .search_within(vectors, query, k, ef, filter, &mut unlimited)?
            .unwrap_or_default())
    }

    /// [`AnnGraph::search`], giving up (`Ok(None)`) once the walk's effort passes `budget`'s
    /// limit. The effort is added to `budget`, so that a caller that widens `ef` and walks
    /// again spends one budget over all its attempts: with the limit set to what an exact scan
    /// of the allowed rows costs, a hopeless walk costs at most that much before the caller
    /// falls back to the scan.
    pub fn search_within(
        &self,
        vectors: &VectorFile,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: Option<&WalkFilter<'_>>,
        budget: &mut Budget,
    ) -> Result<Option<Vec<Hit>>> {
        let rows = self.f32_rows(vectors, query)?;
        let hits = self.walk(&rows, k, ef, filter, budget);
        Ok(hits.map(|mut h| {
            h.truncate(k);
            h
        }))
    }

    /// [`AnnGraph::search`] without a filter, walking the graph as if row `hidden` had never
    /// been inserted: it is never moved to, expanded or returned (its similarity is -∞, so the
    /// walk ends before reaching it once `ef` rows are found, which a graph of more than `ef`
    /// rows always does). The tuning pass poses a library row as a new track this way.
    pub(super) fn search_hiding(
        &self,
        vectors: &VectorFile,
        query: &[f32],
        k: usize,
        ef: usize,
        hidden: u32,
    ) -> Result<Vec<Hit>> {
        let rows = Hiding {
            rows: self.f32_rows(vectors, query)?,
            hidden,
        };
        let mut hits = self
            .walk(&rows, k, ef, None, &mut Budget::unlimited())
            .unwrap_or_default();
        hits.retain(|h| h.row != u64::from(hidden));
        hits.truncate(k);
        Ok(hits)
    }

    /// The walk's f32 similarity of `query` to the rows of `vectors`, once both are checked
    /// against this graph.
    fn f32_rows<'v>(&self, vectors: &'v VectorFile, query: &'v [f32]) -> Result<F32Rows<'v>> {
        self.check_vectors(vectors)?;
        check_query_dim(query, self.header.dim)?;
        Ok(F32Rows {
            kernel: kernels::selected(),
            data: vectors.as_slice(),
            dim: vectors.dim() as usize,
            query,
        })
    }

    /// [`AnnGraph::search_within`] walking the int8 copy of the vectors (a quarter of the
    /// bytes), then re-ranking the walk's best [`rerank_depth`]`(k)` on the f32 rows: the hits
    /// and their scores are exact for the rows re-ranked. (A wide walk for a large pool reads
    /// only that many f32 rows, not `ef`.)
    #[allow(clippy::too_many_arguments)]
    pub fn search_quantised_within(
        &self,
        vectors: &VectorFile,
        quantised: &QuantisedVectors,
        query: &[f32],
        k: usize,
        ef: usize,
        filter: Option<&WalkFilter<'_>>,
        budget: &mut Budget,
    ) -> Result<Option<Vec<Hit>>> {
        self.check_vectors(vectors)?;
        if quantised.dim() != self.header.dim || quantised.rows() < u64::from(self.header.rows) {
            return Err(IndexError::InvalidArgument(format!(
                "quantised file {} (dim {}, {} rows) does not cover the graph {} (dim {}, {} rows)",
                quantised.path().display(),
                quantised.dim(),
                quantised.rows(),
                self.path.display(),
                self.header.dim,
                self.header.rows
            )));
        }
        let q = quantised.query(query)?;
        let rows = Int8Rows {
            quantised,
            query: &q,
        };
        let hits = self.walk(&rows, k, ef, filter, budget);
        Ok(hits.map(|mut h| {
            h.truncate(rerank_depth(k));
            rerank(vectors, query, h, k)
        }))
    }

    /// The walk of a search: the best `max(ef, k)` graph rows by `rows`' similarity, best
    /// first, or `None` when it gave up over `budget`.
    fn walk<S: Similarity>(
        &self,
        rows: &S,
        k: usize,
        ef: usize,
        filter: Option<&WalkFilter<'_>>,
        budget: &mut Budget,
    ) -> Option<Vec<Hit>> {
        if k == 0 || self.header.entry == NO_NODE {
            return Some(vec![]);
        }
        // Greedy descent through the upper layers.
        let mut ep = self.header.entry;
        let mut ep_sim = rows.sim(ep);
        let mut upper_sims = 1;
        for u in (0..self.layout.upper.len()).rev() {
            while let Some(slot) = self.slot(u, ep) {
                let mut improved = false;
                for &nb in self.links_upper(u, slot) {
                    let s = rows.sim(nb);
                    upper_sims += 1;
                    if s > ep_sim {
                        ep_sim = s;
                        ep = nb;
                        improved = true;
                    }
                }
                if !improved {
                    break;
                }
            }
        }
        budget.spent.sims += upper_sims;
        if let Some(f) = filter
            && f.least_nearby_share > 0.0
        {
            let (allowed, seen) = self.nearby_share(ep, f.allows);
            budget.spent.hops += NEARBY_NODES;
            if (allowed as f64) < f.least_nearby_share * seen as f64 {
                return None;
            }
        }
        let walk = Layer0Walk {
            graph: self,
            rows,
            ef: ef.max(k),
            filter,
        };
        with_visited(self.header.rows as usize, |visited| {
            walk.run(
                Scored {
                    sim: ep_sim,
                    node: ep,
                },
                visited,
                budget,
            )
        })
    }

    /// How many of the rows around `node` on layer 0 — its links, and the links of its first
    /// [`NEARBY_NODES`]` - 1` links — `allows` accepts, and how many were looked at (with
    /// repeats): an estimate of the filter's share of the rows near `node`.
    pub fn nearby_share(&self, node: u32, allows: &dyn Fn(u32) -> bool) -> (usize, usize) {
        let (mut allowed, mut seen) = (0, 0);
        let mut count = |links: &[u32]| {
            seen += links.len();
            allowed += links.iter().filter(|&&n| allows(n)).count();
        };
        let first = self.links0(node);
        count(first);
        for &nb in first.iter().take(NEARBY_NODES - 1) {
            count(self.links0(nb));
        }
        (allowed, seen)
    }

    /// `vectors` must be the kind the graph was opened with: its dimension, and at least its
    /// rows (the search reads the vector of every node it reaches).
    fn check_vectors(&self, vectors: &VectorFile) -> Result<()> {
        if vectors.dim() != self.header.dim {
            return Err(IndexError::DimensionMismatch {
                what: format!("vector file {}", vectors.path().display()),
                expected: self.header.dim as usize,
                got: vectors.dim() as usize,
            });
        }
        if vectors.rows() < u64::from(self.header.rows) {
            return Err(IndexError::InvalidArgument(format!(
                "vector file {} has {} rows, the graph {} covers {}",
                vectors.path().display(),
                vectors.rows(),
                self.path.display(),
                self.header.rows
            )));
        }
        Ok(())
    }
}
