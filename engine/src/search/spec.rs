//! A search described by plain options (what a command line, a binding or a service receives),
//! turned into a checked [`SearchRequest`] in one place, so every front end means the same thing
//! by the same options.

use segue_index::EmbeddingKind;
use segue_index::text::TextStatistics;
use segue_query::rerank::Diversify;
use segue_query::search::{Field, LikeStrategy, SearchRequest, Searcher, Sort};

use super::table::HitColumns;
use crate::error::{Error, Result};

/// What to search for and how: at most one of `vector`, `text` and `like`; `words` alone is a
/// word search, with one of them a hybrid search (reciprocal rank fusion); a `filter` or a
/// `sort` alone browses the tracks the filter allows. Diversity, caps and exclusions rerank a
/// pool of candidates from any of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchSpec {
    /// A query vector (its space from `space`, else from its dimension).
    pub vector: Option<Vec<f32>>,
    /// A text prompt, embedded with the library's text encoder.
    pub text: Option<String>,
    /// More like these track ids...
    pub like: Vec<String>,
    /// ...and unlike these (only with `like`).
    pub unlike: Vec<String>,
    /// How `like` ranks (default: average vector).
    pub like_strategy: LikeStrategy,
    /// A word query over tags, captions, titles, artists and albums (BM25).
    pub words: Option<String>,
    /// Only tracks matching this filter expression.
    pub filter: Option<String>,
    /// The embedding space of `vector` or `like` (default: from the vector's dimension; audio
    /// for `like`).
    pub space: Option<EmbeddingKind>,
    /// Hits to return (default 10).
    pub k: Option<usize>,
    /// The graph search's candidate list size (default: the graph's tuned value).
    pub ef: Option<usize>,
    /// Scan every allowed row instead of searching the graph.
    pub exact: bool,
    /// The fusion constant of hybrid searches (default 60).
    pub rrf_k: Option<f32>,
    /// The track fields each hit carries (default: the scalar fields).
    pub fields: Option<Vec<Field>>,
    /// Rerank the candidate pool for diversity (default: relevance order).
    pub diversify: Option<Diversify>,
    /// Candidates reranked (default max(10·k, 100)).
    pub pool: Option<usize>,
    /// The space diversity is measured in (default: audio, else text).
    pub diversity_space: Option<EmbeddingKind>,
    /// At most this many hits of one artist.
    pub max_per_artist: Option<u32>,
    /// At most this many hits of one album.
    pub max_per_album: Option<u32>,
    /// At most N hits per value of a tag prefix: (`genre`, 3) or (`genre:rock`, 2).
    pub max_per_tag: Vec<(String, u32)>,
    /// Track ids never returned.
    pub exclude_ids: Vec<String>,
    /// Artists whose tracks are never returned.
    pub exclude_artists: Vec<String>,
    /// Order a browse or a word search by a numeric field.
    pub sort: Option<Sort>,
    /// BM25 corpus statistics for `words` from outside this library (a sharded catalogue's
    /// sum over its shards; see [`SearchRequest::text_statistics`]).
    pub text_statistics: Option<TextStatistics>,
}

impl SearchSpec {
    /// The checked request for `searcher`'s library: every option validated, the vector's space
    /// resolved.
    pub fn request(&self, searcher: &Searcher) -> Result<SearchRequest> {
        if !self.unlike.is_empty() && self.like.is_empty() {
            return Err(Error::Invalid("`unlike` needs `like`".into()));
        }
        let given = [
            self.vector.is_some(),
            !self.like.is_empty(),
            self.text.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Error::Invalid(
                "give one of a vector, `like` and a text prompt (add words to any of them)".into(),
            ));
        }
        let mut request = if let Some(prompt) = &self.text {
            if searcher.text_embedder().is_none() {
                return Err(Error::Invalid(format!(
                    "{}: text prompts need a text space made by a known encoder; this library \
                     has none (ingest with a text encoder to give it one: `segue ingest --embed-text \
                     fp32`)",
                    searcher.library().dir().display()
                )));
            }
            SearchRequest::text(prompt)?
        } else if let Some(v) = &self.vector {
            let space = super::space_for(searcher.library(), v.len(), self.space)?;
            SearchRequest::vector(space, v.clone())?
        } else if !self.like.is_empty() {
            let pos: Vec<&str> = self.like.iter().map(String::as_str).collect();
            let neg: Vec<&str> = self.unlike.iter().map(String::as_str).collect();
            let space = self.space.unwrap_or(EmbeddingKind::Audio);
            SearchRequest::like(space, &pos, &neg, self.like_strategy)?
        } else if let Some(words) = &self.words {
            SearchRequest::words(words)?
        } else if self.filter.is_some() || self.sort.is_some() {
            SearchRequest::browse()
        } else {
            return Err(Error::Invalid(
                "nothing to search for: give a vector, a text prompt, `like` or words, or a \
                 filter to browse"
                    .into(),
            ));
        };
        if let (Some(words), false) = (&self.words, request.is_hybrid() || self.is_words_only()) {
            request = request.with_words(words)?;
        }
        if let Some(k) = self.k {
            request = request.k(k)?;
        }
        if let Some(ef) = self.ef {
            request = request.ef(ef)?;
        }
        if let Some(rrf_k) = self.rrf_k {
            request = request.rrf_k(rrf_k)?;
        }
        if let Some(filter) = &self.filter {
            request = request.filter(filter)?;
        }
        if let Some(fields) = &self.fields {
            request = request.fields(fields);
        }
        Ok(self.rerank_options(request)?.exact(self.exact))
    }

    fn rerank_options(&self, mut request: SearchRequest) -> Result<SearchRequest> {
        if let Some(d) = self.diversify {
            request = request.rerank(d)?;
        }
        if let Some(space) = self.diversity_space {
            request = request.diversity_space(space);
        }
        if let Some(n) = self.pool {
            request = request.pool(n)?;
        }
        if let Some(n) = self.max_per_artist {
            request = request.max_per_artist(n)?;
        }
        if let Some(n) = self.max_per_album {
            request = request.max_per_album(n)?;
        }
        for (prefix, n) in &self.max_per_tag {
            request = request.max_per_tag(prefix, *n)?;
        }
        if !self.exclude_ids.is_empty() {
            request = request.exclude_ids(&self.exclude_ids)?;
        }
        if !self.exclude_artists.is_empty() {
            request = request.exclude_artists(&self.exclude_artists)?;
        }
        if let Some(sort) = self.sort {
            request = request.sort(sort)?;
        }
        if let Some(stats) = &self.text_statistics {
            if self.words.is_none() {
                return Err(Error::Invalid(
                    "text statistics score a word query; this search has no words".into(),
                ));
            }
            request = request.text_statistics(stats.clone());
        }
        Ok(request)
    }

    /// The columns of the hit table of this search (see [`super::hits_record_batch`]), with a
    /// `query` column for batch searches.
    pub fn hit_columns(&self, query: bool) -> HitColumns {
        HitColumns {
            fields: self
                .fields
                .clone()
                .unwrap_or_else(|| Field::SCALARS.to_vec()),
            query,
            rerank: self.reranks(),
        }
    }

    /// Whether the search reranks a pool: diversity or caps asked for, as
    /// [`SearchRequest::reranks`] (exclusions are a filter, not a rerank).
    pub fn reranks(&self) -> bool {
        self.diversify.is_some_and(|d| !d.is_none())
            || self.max_per_artist.is_some()
            || self.max_per_album.is_some()
            || !self.max_per_tag.is_empty()
    }

    fn is_words_only(&self) -> bool {
        self.vector.is_none() && self.like.is_empty() && self.text.is_none()
    }
}
