//! What to search for: built with setters that check every value.

use segue_index::EmbeddingKind;
use segue_index::filter::Filter;

use crate::error::QueryError;
use crate::search::fields::Field;
use crate::search::like::LikeStrategy;

pub const DEFAULT_K: usize = 10;
pub const MAX_K: usize = 10_000;
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
/// with [`SearchRequest::with_words`] to make it hybrid.
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
        }
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

    pub fn k_value(&self) -> usize {
        self.k
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
