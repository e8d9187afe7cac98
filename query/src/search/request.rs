//! What to search for: built with setters that check every value.

use std::sync::Arc;

use segue_index::EmbeddingKind;
use segue_index::filter::Filter;
use segue_index::text::TextStatistics;

use crate::error::QueryError;
use crate::rerank::{Caps, Diversify, Exclusions};
use crate::search::browse::Sort;
use crate::search::fields::Field;
use crate::search::like::LikeStrategy;

pub const DEFAULT_K: usize = 10;
pub const MAX_K: usize = 10_000;
/// The largest candidate pool a request may ask to rerank.
pub const MAX_POOL: usize = 100_000;
/// Graph candidates per pool track, times the graph's links per node `M`, when a DPP's pool is
/// walked with no ef set ([`SearchRequest::walk_ef`]): 13 per pool track on a graph of M 16,
/// 6.5 on M 32.
pub const DPP_WALK_EF_PER_POOL_TRACK_LINK: usize = 208;
/// The widest walk a DPP pool gets by default; larger pools set `ef` or `exact`.
pub const DPP_MAX_WALK_EF: usize = 4096;
/// The smallest default pool: a pool is `max(POOL_PER_RESULT · k, MIN_POOL)` unless set.
pub const MIN_POOL: usize = 100;
/// Candidates per result in the default pool.
pub const POOL_PER_RESULT: usize = 10;
/// The constant of reciprocal rank fusion (Cormack et al. 2009 found 60 robust).
pub const DEFAULT_RRF_K: f32 = 60.0;

/// The vector side of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum VectorQuery {
    /// A query vector in one embedding space (normalised by the searcher).
    Vector {
        space: EmbeddingKind,
        vector: Vec<f32>,
    },
    /// Text to embed with the library's text encoder (needs a [`crate::search::TextEmbedder`]).
    Text(String),
    /// Tracks like `positives` and unlike `negatives` (external track ids).
    Like {
        space: EmbeddingKind,
        positives: Vec<String>,
        negatives: Vec<String>,
        strategy: LikeStrategy,
    },
}

/// One retrieval request. Start from [`SearchRequest::vector`], [`SearchRequest::text`],
/// [`SearchRequest::like`] or [`SearchRequest::words`]; add a word query to a vector request
/// with [`SearchRequest::with_words`] to make it hybrid; or list the tracks a filter allows
/// with [`SearchRequest::browse`].
///
/// Reranking: [`SearchRequest::rerank`] (MMR or DPP), caps ([`SearchRequest::max_per_artist`],
/// [`SearchRequest::max_per_album`], [`SearchRequest::max_per_tag`]) and exclusions
/// ([`SearchRequest::exclude_ids`], [`SearchRequest::exclude_artists`]) combine in one pass
/// over a pool of candidates from the ordinary retrieval ([`SearchRequest::pool`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub(crate) vector: Option<VectorQuery>,
    pub(crate) words: Option<String>,
    pub(crate) filter: Option<Filter>,
    pub(crate) k: usize,
    pub(crate) ef: Option<usize>,
    pub(crate) exact: bool,
    pub(crate) rrf_k: f32,
    pub(crate) fields: Vec<Field>,
    pub(crate) diversify: Diversify,
    pub(crate) pool: Option<usize>,
    pub(crate) caps: Caps,
    pub(crate) exclusions: Exclusions,
    pub(crate) diversity_space: Option<EmbeddingKind>,
    pub(crate) sort: Option<Sort>,
    pub(crate) text_statistics: Option<Arc<TextStatistics>>,
}

impl SearchRequest {
    fn base(vector: Option<VectorQuery>, words: Option<String>) -> SearchRequest {
        SearchRequest {
            vector,
            words,
            filter: None,
            k: DEFAULT_K,
            ef: None,
            exact: false,
            rrf_k: DEFAULT_RRF_K,
            fields: Field::SCALARS.to_vec(),
            diversify: Diversify::None,
            pool: None,
            caps: Caps::default(),
            exclusions: Exclusions::default(),
            diversity_space: None,
            sort: None,
            text_statistics: None,
        }
    }

    /// The tracks the filter allows (every track without one), in library order or by
    /// [`SearchRequest::sort`]: browsing a catalogue by its metadata, with the same caps and
    /// exclusions as a search.
    pub fn browse() -> SearchRequest {
        Self::base(None, None)
    }

    /// Nearest tracks to `vector` in `space`.
    pub fn vector(space: EmbeddingKind, vector: Vec<f32>) -> Result<SearchRequest, QueryError> {
        if vector.is_empty() {
            return Err(invalid("the query vector is empty"));
        }
        if let Some(i) = vector.iter().position(|x| !x.is_finite()) {
            return Err(invalid(format!(
                "the query vector has a non-finite value at {i}"
            )));
        }
        if vector.iter().all(|x| *x == 0.0) {
            return Err(invalid("the query vector is all zeros"));
        }
        Ok(Self::base(
            Some(VectorQuery::Vector { space, vector }),
            None,
        ))
    }

    /// Nearest tracks to a text prompt, embedded into the library's text space.
    pub fn text(prompt: &str) -> Result<SearchRequest, QueryError> {
        let prompt = prompt.trim();
        if prompt.is_empty() {
            return Err(invalid("the text prompt is empty"));
        }
        Ok(Self::base(Some(VectorQuery::Text(prompt.into())), None))
    }

    /// Tracks like `positives` (at least one) and unlike `negatives`, by track id.
    pub fn like(
        space: EmbeddingKind,
        positives: &[&str],
        negatives: &[&str],
        strategy: LikeStrategy,
    ) -> Result<SearchRequest, QueryError> {
        if positives.is_empty() {
            return Err(invalid("\"more like these\" needs at least one track id"));
        }
        let clean = |ids: &[&str]| -> Result<Vec<String>, QueryError> {
            ids.iter()
                .map(|s| {
                    let s = s.trim();
                    if s.is_empty() {
                        Err(invalid("an empty track id"))
                    } else {
                        Ok(s.to_string())
                    }
                })
                .collect()
        };
        let (positives, negatives) = (clean(positives)?, clean(negatives)?);
        if let Some(both) = positives.iter().find(|p| negatives.contains(p)) {
            return Err(invalid(format!("track {both:?} is both liked and unliked")));
        }
        Ok(Self::base(
            Some(VectorQuery::Like {
                space,
                positives,
                negatives,
                strategy,
            }),
            None,
        ))
    }

    /// BM25 over tags, captions, titles, artists and albums (see `segue_index::text` for the
    /// syntax).
    pub fn words(query: &str) -> Result<SearchRequest, QueryError> {
        Ok(Self::base(None, Some(check_words(query)?)))
    }

    /// Adds a word query to a vector request: the two result lists are fused (hybrid).
    pub fn with_words(mut self, query: &str) -> Result<SearchRequest, QueryError> {
        self.words = Some(check_words(query)?);
        Ok(self)
    }

    /// Scores the word query's BM25 with these corpus statistics instead of the library's own:
    /// the sum of every shard's [`Searcher::text_statistics`](crate::search::Searcher::text_statistics)
    /// for the query, so that each shard of a sharded catalogue scores as the whole catalogue.
    pub fn text_statistics(mut self, statistics: TextStatistics) -> SearchRequest {
        self.text_statistics = Some(Arc::new(statistics));
        self
    }

    /// Only tracks matching `expr` (the filter language of `segue_index::filter`).
    pub fn filter(mut self, expr: &str) -> Result<SearchRequest, QueryError> {
        self.filter = if expr.trim().is_empty() {
            None
        } else {
            Some(Filter::parse(expr).map_err(QueryError::BadFilter)?)
        };
        Ok(self)
    }

    /// How many hits (1..=10000).
    pub fn k(mut self, k: usize) -> Result<SearchRequest, QueryError> {
        if !(1..=MAX_K).contains(&k) {
            return Err(invalid(format!("k must be between 1 and {MAX_K}, got {k}")));
        }
        self.k = k;
        Ok(self)
    }

    /// The graph search's candidate list size (recall vs speed); raised to `k` when smaller.
    /// Unset, the ef tuned for the space's graph at build time is used
    /// ([`Searcher::default_ef`](crate::search::Searcher::default_ef)).
    pub fn ef(mut self, ef: usize) -> Result<SearchRequest, QueryError> {
        segue_index::ann::SearchParams { ef }
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        self.ef = Some(ef);
        Ok(self)
    }

    /// Scan every allowed row instead of searching the graph (ground truth).
    pub fn exact(mut self, exact: bool) -> SearchRequest {
        self.exact = exact;
        self
    }

    /// The constant of reciprocal rank fusion (hybrid requests).
    pub fn rrf_k(mut self, rrf_k: f32) -> Result<SearchRequest, QueryError> {
        if !(rrf_k.is_finite() && rrf_k >= 0.0) {
            return Err(invalid(format!(
                "rrf_k must be a non-negative number, got {rrf_k}"
            )));
        }
        self.rrf_k = rrf_k;
        Ok(self)
    }

    /// Which track fields each hit carries (track id and score always).
    pub fn fields(mut self, fields: &[Field]) -> SearchRequest {
        self.fields = fields.to_vec();
        self
    }

    /// Reorders a pool of candidates for diversity: MMR or a DPP ([`Diversify`]), with the
    /// caps and exclusions in the same pass. Refused on a browse (which has no relevance).
    pub fn rerank(mut self, method: Diversify) -> Result<SearchRequest, QueryError> {
        self.diversify = match method {
            Diversify::None => Diversify::None,
            Diversify::Mmr { lambda } => Diversify::mmr(lambda)?,
            Diversify::Dpp { theta } => Diversify::dpp(theta)?,
        };
        Ok(self)
    }

    /// Candidates taken from the retrieval before reranking (1..=100000; raised to `k` when
    /// smaller). Default `max(10·k, 100)`. When the caps or exclusions leave fewer than `k`, the
    /// pool is widened (4× at a time) up to every allowed track, so `k` come back whenever `k`
    /// qualify.
    pub fn pool(mut self, pool: usize) -> Result<SearchRequest, QueryError> {
        if !(1..=MAX_POOL).contains(&pool) {
            return Err(invalid(format!(
                "the pool must be between 1 and {MAX_POOL} candidates, got {pool}"
            )));
        }
        self.pool = Some(pool);
        Ok(self)
    }

    /// At most `n` (at least 1) tracks of one artist. Tracks without an artist are not capped.
    pub fn max_per_artist(mut self, n: u32) -> Result<SearchRequest, QueryError> {
        self.caps = std::mem::take(&mut self.caps).per_artist(n)?;
        Ok(self)
    }

    /// At most `n` (at least 1) tracks of one album. Tracks without an album are not capped.
    pub fn max_per_album(mut self, n: u32) -> Result<SearchRequest, QueryError> {
        self.caps = std::mem::take(&mut self.caps).per_album(n)?;
        Ok(self)
    }

    /// At most `n` (at least 1) tracks per value of tag `prefix`: `("genre", 3)` keeps at most
    /// 3 tracks tagged `genre:rock`, 3 tagged `genre:jazz`, ...; `("genre:rock", 3)` caps only
    /// rock. Several prefixes may be capped.
    pub fn max_per_tag(mut self, prefix: &str, n: u32) -> Result<SearchRequest, QueryError> {
        self.caps = std::mem::take(&mut self.caps).per_tag(prefix, n)?;
        Ok(self)
    }

    /// Never return these tracks (external ids; ids the library does not have are ignored and
    /// counted in [`SearchStats::excluded_unknown`](crate::search::SearchStats)). Adds to
    /// earlier exclusions.
    pub fn exclude_ids<S: AsRef<str>>(mut self, ids: &[S]) -> Result<SearchRequest, QueryError> {
        for id in ids {
            let id = id.as_ref().trim();
            if id.is_empty() {
                return Err(invalid("an empty track id in the exclusions"));
            }
            if !self.exclusions.track_ids.iter().any(|x| x == id) {
                self.exclusions.track_ids.push(id.to_string());
            }
        }
        Ok(self)
    }

    /// Never return tracks of these artists (matched ignoring case).
    pub fn exclude_artists<S: AsRef<str>>(
        mut self,
        artists: &[S],
    ) -> Result<SearchRequest, QueryError> {
        for a in artists {
            let a = a.as_ref().trim();
            if a.is_empty() {
                return Err(invalid("an empty artist name in the exclusions"));
            }
            self.exclusions.artists.push(a.to_string());
        }
        Ok(self)
    }

    /// The embedding space whose similarities MMR and the DPP diversify over (default: audio
    /// when the library has it, else text).
    pub fn diversity_space(mut self, space: EmbeddingKind) -> SearchRequest {
        self.diversity_space = Some(space);
        self
    }

    /// Orders a browse, or a tag/word query's matches, by a numeric field instead of
    /// relevance (tracks without a value last; ties by library order).
    pub fn sort(mut self, sort: Sort) -> Result<SearchRequest, QueryError> {
        if self.vector.is_some() {
            return Err(invalid(
                "sorting by a field orders a browse or a tag query; a vector, text or \
                 more-like-these search is ordered by similarity",
            ));
        }
        self.sort = Some(sort);
        Ok(self)
    }

    pub fn k_value(&self) -> usize {
        self.k
    }

    /// The diversity method asked for.
    pub fn diversify(&self) -> Diversify {
        self.diversify
    }

    /// The caps asked for.
    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    /// The pool a rerank starts from: the one set, or `max(10·k, 100)`; never below `k`.
    pub fn pool_size(&self) -> usize {
        self.pool
            .unwrap_or((POOL_PER_RESULT * self.k).max(MIN_POOL))
            .clamp(self.k, MAX_POOL.max(self.k))
    }

    /// The ef of the graph walk that fills this request's pool, `default_ef` being the one
    /// tuned for the space and `graph_m` its graph's links per node: the request's own when
    /// set; for a DPP, at least [`DPP_WALK_EF_PER_POOL_TRACK_LINK`] / `graph_m` per pool
    /// track (up to [`DPP_MAX_WALK_EF`]); otherwise `None`, the searcher's default.
    ///
    /// A DPP's greedy picks depend on the whole pool through the determinant, so each pool
    /// member the walk misses can change every later pick; MMR's picks mostly depend on the
    /// best few. At 1M × 64 on a graph of M 16 a pool of 100 walked at the tuned ef (384) held
    /// 0.942 of the exact pool, and the DPP's top 10 agreed with the exact pool's DPP at 0.819;
    /// at ef 1280, 0.994 and 0.953. A graph of M 32 holds 0.992 of the pool at ef 400 and 0.997
    /// at 600 (DPP agreement 0.958 and 0.976): the walk it needs shrinks faster than 1/M, so
    /// the rule is safe on wider graphs (benches/RESULTS.md, "The DPP's pool" and "A graph of
    /// M 32 for the DPP").
    pub fn walk_ef(&self, default_ef: usize, graph_m: usize) -> Option<usize> {
        match (self.ef, self.diversify) {
            (Some(ef), _) => Some(ef),
            (None, Diversify::Dpp { .. }) => Some(
                default_ef.max(
                    (DPP_WALK_EF_PER_POOL_TRACK_LINK * self.pool_size() / graph_m.max(1))
                        .min(DPP_MAX_WALK_EF),
                ),
            ),
            (None, _) => None,
        }
    }

    /// A pool is reranked: diversity or caps were asked for.
    pub fn reranks(&self) -> bool {
        !self.diversify.is_none() || !self.caps.is_empty()
    }

    /// Neither a vector nor a word query: a browse.
    pub fn is_browse(&self) -> bool {
        self.vector.is_none() && self.words.is_none()
    }

    pub fn is_hybrid(&self) -> bool {
        self.vector.is_some() && self.words.is_some()
    }
}

fn check_words(query: &str) -> Result<String, QueryError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(invalid("the tag/word query is empty"));
    }
    Ok(q.to_string())
}

fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::InvalidRequest(msg.into())
}
