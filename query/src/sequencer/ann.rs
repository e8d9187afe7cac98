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

use std::collections::HashMap;

use roaring::RoaringBitmap;

use segue_index::{EmbeddingKind, Library};

use super::candidates::CandidateProvider;
use crate::error::QueryError;
use crate::objective::{Episode, ReferenceEmbeddings, Row};
use crate::search::vector::{self, VectorSearch};

/// The weight of each space's cosine in the reference's alignment:
/// `((va_audio − ref) + 0.2) · 3.0 + ((va_text − ref) + 0.3) · 2.5`, halved.
const AUDIO_WEIGHT: f32 = 1.5;
const TEXT_WEIGHT: f32 = 1.25;

/// Search ef for a candidate pool (at least the pool size). Lower than the library's default
/// search ef, which is set for recall@10 >= 0.95 of a top-10: a pool of candidates that the
/// sequencer ranks again does not need every one of the exact best, and the soundtrack figures in
/// `benches/RESULTS.md` were measured with it.
const CANDIDATE_EF: usize = 64;

/// Most candidates per segment: each is scored at every step, and the graph search that finds
/// them uses an ef at least as large, so more would only make planning slow without end.
pub const MAX_CANDIDATES: usize = 4096;

/// Top-`count` rows by alignment per segment, from the HNSW graphs (exact scans where the
/// filter leaves few rows or a space has no graph).
pub struct AnnCandidates<'a> {
    library: &'a Library,
    queries: QueryDirections,
    allowed: Option<&'a RoaringBitmap>,
    count: usize,
    fetch: usize,
    ef: usize,
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
            .finish_non_exhaustive()
    }
}

/// Unit references per space (`None`: no reference, the direction is the segment's own).
#[derive(Debug, Clone, Default)]
struct QueryDirections {
    audio_ref: Option<Vec<f32>>,
    text_ref: Option<Vec<f32>>,
}

fn unit(v: &[f32]) -> Option<Vec<f32>> {
    let n = crate::objective::norm(v);
    (n > 1e-6).then(|| v.iter().map(|x| (*x as f64 / n) as f32).collect())
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
        if count == 0 || count > MAX_CANDIDATES {
            return Err(QueryError::InvalidArgument(format!(
                "candidates per segment must be between 1 and {MAX_CANDIDATES} (got {count}); \
                 for every track, plan exactly"
            )));
        }
        Ok(AnnCandidates {
            library,
            queries: QueryDirections {
                audio_ref: reference.audio.as_deref().and_then(unit),
                text_ref: reference.text.as_deref().and_then(unit),
            },
            allowed,
            count,
            fetch: count,
            ef: CANDIDATE_EF.max(count),
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

    /// The candidates for segment `t` of `episode`'s video.
    fn compute(&mut self, episode: &Episode<'_>) -> Result<Vec<Row>, QueryError> {
        let segment = &episode.video().segments[episode.t()];
        let spaces = [
            (
                EmbeddingKind::Audio,
                segment.audio_emb.as_deref(),
                self.queries.audio_ref.as_deref(),
                AUDIO_WEIGHT,
            ),
            (
                EmbeddingKind::Text,
                segment.text_emb.as_deref(),
                self.queries.text_ref.as_deref(),
                TEXT_WEIGHT,
            ),
        ];
        // Search direction per space: unit(v̂ − r̂), and v̂ − r̂ itself for the joint score.
        let mut directions: Vec<(EmbeddingKind, Vec<f32>, f32)> = Vec::new();
        for (kind, seg, reference, weight) in spaces {
            let (Some(seg), Some(file)) = (seg, self.library.vectors(kind)) else {
                continue;
            };
            if seg.len() != file.dim() as usize {
                return Err(QueryError::DimensionMismatch {
                    what: format!("segment {} {}", episode.t(), kind.column()),
                    expected: file.dim() as usize,
                    got: seg.len(),
                });
            }
            let Some(v) = unit(seg) else { continue };
            let d: Vec<f32> = match reference.filter(|r| r.len() == v.len()) {
                Some(r) => v.iter().zip(r).map(|(a, b)| a - b).collect(),
                None => v,
            };
            directions.push((kind, d, weight));
        }
        let mut rows: Vec<Row> = Vec::new();
        for (kind, d, _) in &directions {
            let Some(q) = unit(d) else { continue };
            let file = self.library.vectors(*kind).expect("checked above");
            let (hits, _) = vector::search(&VectorSearch {
                vectors: file,
                quantised: self.library.quantised(*kind),
                graph: self.library.ann(*kind),
                query: &q,
                k: self.fetch,
                ef: self.ef.max(self.fetch),
                allowed: self.allowed,
                exact: false,
                threads: 1,
            })?;
            rows.extend(hits.iter().map(|h| h.row));
        }
        if directions.is_empty() {
            // Nothing to align with in a space the library has: offer the first allowed rows
            // (the objective still ranks them by smoothness).
            let limit = self.count as u64;
            return Ok(match self.allowed {
                Some(a) => a.iter().take(self.count).map(Row::from).collect(),
                None => (0..self.library.rows().min(limit)).collect(),
            });
        }
        rows.sort_unstable();
        rows.dedup();
        self.scratch.clear();
        for &row in &rows {
            let mut score = 0.0f32;
            for (kind, d, weight) in &directions {
                let file = self.library.vectors(*kind).expect("checked above");
                score += weight * crate::objective::dot(file.row(row as usize), d) as f32;
            }
            self.scratch.push((row, score));
        }
        self.scratch
            .sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(self
            .scratch
            .iter()
            .take(self.count)
            .map(|(r, _)| *r)
            .collect())
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
