//! Scalable mode: the candidates of a step are the top tracks by alignment for its segment,
//! found through the library's HNSW graphs instead of a scan of every track.
//!
//! Alignment is linear in the track's unit embedding. With `v̂` the segment's unit embedding
//! and `r̂` the unit reference of a space, the alignment term of that space is
//! `w · (cos(v, m) − cos(r, m)) = w · m̂·(v̂ − r̂)` plus a constant, so the tracks that align best
//! in one space are exactly the nearest neighbours of the direction `v̂ − r̂` (inner product
//! with unit rows ranks like cosine). Each space that both the segment and the library have is
//! searched for `fetch` rows, with the request's filter inside the search; the union is ranked
//! by the alignment of both spaces together and the best `count` are the candidates. The
//! sequencer adds the playing track and CONTINUE.
//!
//! The three parts (a segment's [`SpaceDirection`]s, the per-space search
//! [`search_direction`], the joint ranking [`rank_jointly`]) are public so that a planner whose
//! tracks live in several libraries (the shards of a sharded catalogue) finds the same
//! candidates: each shard searches, the planner merges per space and ranks the union.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use segue_index::exact::Hit;
use segue_index::{EmbeddingKind, Library};

use super::candidates::CandidateProvider;
use crate::error::QueryError;
use crate::objective::{Episode, ReferenceEmbeddings, Row};
use crate::search::vector::{self, VectorSearch};
use crate::video::Video;

/// The weight of each space's cosine in the reference's alignment:
/// `((va_audio − ref) + 0.2) · 3.0 + ((va_text − ref) + 0.3) · 2.5`, halved.
const AUDIO_WEIGHT: f32 = 1.5;
const TEXT_WEIGHT: f32 = 1.25;

/// Search ef for a candidate pool (at least the pool size). Lower than the library's default
/// search ef, which is set for recall@10 >= 0.95 of a top-10: a pool of candidates that the
/// sequencer ranks again does not need every one of the exact best, and the soundtrack figures in
/// `benches/RESULTS.md` were measured with it.
pub const CANDIDATE_EF: usize = 64;

/// Most candidates per segment: each is scored at every step, and the graph search that finds
/// them uses an ef at least as large, so more would only make planning slow without end.
pub const MAX_CANDIDATES: usize = 4096;

/// Top-`count` rows by alignment per segment, from the HNSW graphs (exact scans where the
/// filter leaves few rows or a space has no graph, or everywhere when asked).
pub struct AnnCandidates<'a> {
    library: &'a Library,
    queries: QueryDirections,
    allowed: Option<&'a RoaringBitmap>,
    count: usize,
    fetch: usize,
    ef: usize,
    exact_scan: bool,
    /// Candidates per segment of the current video (every beam of a step asks for the same
    /// segment), keyed by the video's address and the segment index.
    cache: HashMap<usize, Vec<Row>>,
    cached_video: Option<(usize, String, usize)>,
    scratch: Vec<(Row, f32)>,
}

impl std::fmt::Debug for AnnCandidates<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnnCandidates")
            .field("count", &self.count)
            .field("fetch", &self.fetch)
            .field("ef", &self.ef)
            .field("exact_scan", &self.exact_scan)
            .finish_non_exhaustive()
    }
}

/// One space's share of a segment's candidate search.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceDirection {
    pub kind: EmbeddingKind,
    /// `v̂ − r̂` (or `v̂` without a reference): the joint score is `weight · m̂·direction`.
    pub direction: Vec<f32>,
    pub weight: f32,
}

impl SpaceDirection {
    /// The unit search query of this space (`None`: the direction is zero, so the space ranks
    /// nothing and is not searched).
    pub fn query(&self) -> Option<Vec<f32>> {
        unit(&self.direction)
    }
}

/// Unit references per space (`None`: no reference, the direction is the segment's own).
#[derive(Debug, Clone, Default)]
pub struct QueryDirections {
    audio_ref: Option<Vec<f32>>,
    text_ref: Option<Vec<f32>>,
}

fn unit(v: &[f32]) -> Option<Vec<f32>> {
    let n = crate::objective::norm(v);
    (n > 1e-6).then(|| v.iter().map(|x| (*x as f64 / n) as f32).collect())
}

impl QueryDirections {
    pub fn new(reference: &ReferenceEmbeddings) -> Self {
        QueryDirections {
            audio_ref: reference.audio.as_deref().and_then(unit),
            text_ref: reference.text.as_deref().and_then(unit),
        }
    }

    /// The directions of segment `t` of `video` in the spaces both it and the tracks have
    /// (`dim` gives the tracks' dimension of a space, `None` when they have no such space).
    /// Empty when the segment has no embedding there: the candidates are then the first allowed
    /// rows.
    pub fn segment(
        &self,
        video: &Video,
        t: usize,
        dim: impl Fn(EmbeddingKind) -> Option<usize>,
    ) -> Result<Vec<SpaceDirection>, QueryError> {
        let segment = &video.segments[t];
        let spaces = [
            (
                EmbeddingKind::Audio,
                segment.audio_emb.as_deref(),
                self.audio_ref.as_deref(),
                AUDIO_WEIGHT,
            ),
            (
                EmbeddingKind::Text,
                segment.text_emb.as_deref(),
                self.text_ref.as_deref(),
                TEXT_WEIGHT,
            ),
        ];
        let mut directions = Vec::new();
        for (kind, seg, reference, weight) in spaces {
            let (Some(seg), Some(expected)) = (seg, dim(kind)) else {
                continue;
            };
            if seg.len() != expected {
                return Err(QueryError::DimensionMismatch {
                    what: format!("segment {t} {}", kind.column()),
                    expected,
                    got: seg.len(),
                });
            }
            let Some(v) = unit(seg) else { continue };
            let direction: Vec<f32> = match reference.filter(|r| r.len() == v.len()) {
                Some(r) => v.iter().zip(r).map(|(a, b)| a - b).collect(),
                None => v,
            };
            directions.push(SpaceDirection {
                kind,
                direction,
                weight,
            });
        }
        Ok(directions)
    }
}

/// The `fetch` best rows of `library` for one unit query in space `kind`, among `allowed`:
/// through the graph with candidate list `ef`, or by an exact scan of the f32 rows.
pub fn search_direction(
    library: &Library,
    kind: EmbeddingKind,
    query: &[f32],
    fetch: usize,
    ef: usize,
    allowed: Option<&RoaringBitmap>,
    exact_scan: bool,
) -> Result<Vec<Hit>, QueryError> {
    let Some(file) = library.vectors(kind) else {
        return Ok(Vec::new());
    };
    let (hits, _) = vector::search(&VectorSearch {
        vectors: file,
        quantised: library.quantised(kind),
        graph: library.ann(kind),
        query,
        k: fetch,
        ef: ef.max(fetch),
        allowed,
        exact: exact_scan,
        threads: 1,
    })?;
    Ok(hits)
}

/// The best `count` of `rows` (ascending, without duplicates) by the joint alignment of
/// `directions`, ties to the lower row; `vector(kind, row)` is a row's unit embedding.
pub fn rank_jointly<'v>(
    directions: &[SpaceDirection],
    rows: &[Row],
    vector: impl Fn(EmbeddingKind, Row) -> &'v [f32],
    count: usize,
    scratch: &mut Vec<(Row, f32)>,
) -> Vec<Row> {
    scratch.clear();
    for &row in rows {
        let mut score = 0.0f32;
        for d in directions {
            score += d.weight * crate::objective::dot(vector(d.kind, row), &d.direction) as f32;
        }
        scratch.push((row, score));
    }
    scratch.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scratch.iter().take(count).map(|(r, _)| *r).collect()
}

/// Checks a candidate count against [`MAX_CANDIDATES`].
pub fn check_candidate_count(count: usize) -> Result<(), QueryError> {
    if count == 0 || count > MAX_CANDIDATES {
        return Err(QueryError::InvalidArgument(format!(
            "candidates per segment must be between 1 and {MAX_CANDIDATES} (got {count}); \
             for every track, plan exactly"
        )));
    }
    Ok(())
}

impl<'a> AnnCandidates<'a> {
    /// `count` candidates per segment (at least 1), searched among the rows `allowed` (all when
    /// `None`).
    pub fn new(
        library: &'a Library,
        reference: &ReferenceEmbeddings,
        allowed: Option<&'a RoaringBitmap>,
        count: usize,
    ) -> Result<Self, QueryError> {
        check_candidate_count(count)?;
        Ok(AnnCandidates {
            library,
            queries: QueryDirections::new(reference),
            allowed,
            count,
            fetch: count,
            ef: CANDIDATE_EF.max(count),
            exact_scan: false,
            cache: HashMap::new(),
            cached_video: None,
            scratch: Vec::new(),
        })
    }

    /// Rows fetched from each space before the joint ranking (default: `count`).
    pub fn fetch(mut self, fetch: usize) -> Self {
        self.fetch = fetch.max(self.count);
        self
    }

    /// The graph search's candidate list size (default 64, at least the fetch size).
    pub fn ef(mut self, ef: usize) -> Self {
        self.ef = ef.max(1);
        self
    }

    /// Each space's rows come from an exact scan instead of the graph: slower, but the
    /// candidates are then the true best, and the same however the tracks are split.
    pub fn exact_scan(mut self, on: bool) -> Self {
        self.exact_scan = on;
        self
    }

    /// The candidates for segment `t` of `episode`'s video.
    fn compute(&mut self, episode: &Episode<'_>) -> Result<Vec<Row>, QueryError> {
        let library = self.library;
        let directions = self.queries.segment(episode.video(), episode.t(), |kind| {
            library.vectors(kind).map(|f| f.dim() as usize)
        })?;
        if directions.is_empty() {
            // Nothing to align with in a space the library has: offer the first allowed rows
            // (the objective still ranks them by smoothness).
            let limit = self.count as u64;
            return Ok(match self.allowed {
                Some(a) => a.iter().take(self.count).map(Row::from).collect(),
                None => (0..library.rows().min(limit)).collect(),
            });
        }
        let mut rows: Vec<Row> = Vec::new();
        for d in &directions {
            let Some(q) = d.query() else { continue };
            let hits = search_direction(
                library,
                d.kind,
                &q,
                self.fetch,
                self.ef,
                self.allowed,
                self.exact_scan,
            )?;
            rows.extend(hits.iter().map(|h| h.row));
        }
        rows.sort_unstable();
        rows.dedup();
        let vector = |kind: EmbeddingKind, row: Row| {
            library
                .vectors(kind)
                .expect("directions exist only for the library's spaces")
                .row(row as usize)
        };
        Ok(rank_jointly(
            &directions,
            &rows,
            vector,
            self.count,
            &mut self.scratch,
        ))
    }
}

impl CandidateProvider for AnnCandidates<'_> {
    fn reset(&mut self) {
        self.cache.clear();
        self.cached_video = None;
    }

    fn candidates(&mut self, episode: &Episode<'_>, out: &mut Vec<Row>) -> Result<(), QueryError> {
        let v = episode.video();
        let key = (v as *const _ as usize, v.id.as_str(), v.segments.len());
        if self
            .cached_video
            .as_ref()
            .map(|(a, id, n)| (*a, id.as_str(), *n))
            != Some(key)
        {
            self.cache.clear();
            self.cached_video = Some((key.0, key.1.to_string(), key.2));
        }
        let t = episode.t();
        if !self.cache.contains_key(&t) {
            let rows = self.compute(episode)?;
            self.cache.insert(t, rows);
        }
        out.extend_from_slice(&self.cache[&t]);
        Ok(())
    }
}
