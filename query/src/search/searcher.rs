//! Runs [`SearchRequest`]s against one opened library version.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use roaring::RoaringBitmap;
use serde::Serialize;

use arrow_array::{Array, StringArray};
use segue_index::exact::{Hit, normalise_query};
use segue_index::filter::FilterColumns;
use segue_index::text::{TextIndex, TextStatistics};
use segue_index::{EmbeddingKind, Library};
use segue_models::ModelError;

use crate::error::QueryError;
use crate::rerank::Diversify;
use crate::search::browse;
use crate::search::fields::{self, Field, TrackFields};
use crate::search::fusion::reciprocal_rank_fusion;
use crate::search::like::{self, LikeStrategy};
use crate::search::pool::{self, PoolRerank, Ranked, RerankStats, Reranked};
use crate::search::request::{MAX_K, SearchRequest, VectorQuery};
use crate::search::vector::{self, Plan, VectorSearch};

/// Embeds text prompts and captions into the library's text space (the facade gives one that
/// loads the library's own encoder on first use; an application may give its own).
pub trait TextEmbedder: Send + Sync {
    /// Encoder name and version, compared with the one recorded in the library's manifest.
    fn encoder_id(&self) -> String;
    /// The embedding of `text`. A model that cannot be loaded or run is a [`ModelError`] of
    /// that kind (missing file, runtime, inference), never a complaint about the text.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, ModelError>;
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub track_id: String,
    pub score: f32,
    /// Dense row number in this library version (changes between versions; `track_id` does not).
    pub row: u64,
    /// Where the hit came from when the pool was reranked (diversity or caps asked for);
    /// `score` stays the relevance before reranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerank: Option<HitRerank>,
    #[serde(flatten)]
    pub fields: TrackFields,
}

/// A reranked hit's place in the pool and the reranker's score for it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HitRerank {
    /// Rank in the pool before reranking (1 = the retrieval's best).
    pub pool_rank: usize,
    /// The value that ranked it: MMR score, DPP gain (`θ·r + (1 − θ)·ln d²`), or its
    /// relevance under caps alone.
    pub score: f32,
}

/// How a search ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchStats {
    /// Rows the filter allowed (`None` without a filter).
    pub allowed_rows: Option<u64>,
    /// How the vector part was answered.
    pub plan: Option<Strategy>,
    /// How the pool was reranked (`None`: no diversity or caps asked for).
    pub rerank: Option<RerankStats>,
    /// Excluded track ids the library does not have (ignored).
    pub excluded_unknown: usize,
    pub micros: u64,
}

/// How the vector part of a request was answered.
pub type Strategy = Plan;

/// Searches one library version. Filter columns and the track-id map are read from Lance on
/// first use and kept.
pub struct Searcher {
    library: Arc<Library>,
    columns: OnceLock<FilterColumns>,
    ids: OnceLock<HashMap<String, u64>>,
    /// Every row's track id: hits that ask for no other field need no Lance read.
    row_ids: OnceLock<StringArray>,
    embedder: Option<Arc<dyn TextEmbedder>>,
    threads: usize,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher")
            .field("library", &self.library.dir())
            .field("version", &self.library.version())
            .finish_non_exhaustive()
    }
}

impl Searcher {
    pub fn new(library: Arc<Library>) -> Searcher {
        Searcher {
            library,
            columns: OnceLock::new(),
            ids: OnceLock::new(),
            row_ids: OnceLock::new(),
            embedder: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Lets text prompts be searched ([`SearchRequest::text`]).
    pub fn with_text_embedder(mut self, embedder: Arc<dyn TextEmbedder>) -> Searcher {
        self.embedder = Some(embedder);
        self
    }

    /// Threads for large exact scans (default: all cores).
    pub fn with_threads(mut self, threads: usize) -> Searcher {
        self.threads = threads.max(1);
        self
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The filter columns (read once).
    pub fn filter_columns(&self) -> Result<&FilterColumns, QueryError> {
        if let Some(c) = self.columns.get() {
            return Ok(c);
        }
        let c = FilterColumns::from_library(&self.library)?;
        Ok(self.columns.get_or_init(|| c))
    }

    /// The row of each track id (read once).
    pub(crate) fn rows_by_id(&self) -> Result<&HashMap<String, u64>, QueryError> {
        if let Some(m) = self.ids.get() {
            return Ok(m);
        }
        let m = self
            .track_ids()?
            .iter()
            .enumerate()
            .map(|(i, id)| (id.unwrap_or_default().to_string(), i as u64))
            .collect();
        Ok(self.ids.get_or_init(|| m))
    }

    /// Every row's track id, in row order (read once).
    pub fn track_ids(&self) -> Result<&StringArray, QueryError> {
        if let Some(a) = self.row_ids.get() {
            return Ok(a);
        }
        let a = self.library.track_id_column()?;
        Ok(self.row_ids.get_or_init(|| a))
    }

    /// The track id and `fields` of each of `rows`: from the kept id column when no field is
    /// asked for, else one Lance read.
    fn hit_fields(
        &self,
        rows: &[u64],
        fields: &[Field],
    ) -> Result<Vec<(String, TrackFields)>, QueryError> {
        if !fields.is_empty() {
            return fields::track_fields(&self.library, rows, fields);
        }
        let ids = self.track_ids()?;
        rows.iter()
            .map(
                |&r| match usize::try_from(r).ok().filter(|&i| i < ids.len()) {
                    Some(i) => Ok((ids.value(i).to_string(), TrackFields::default())),
                    None => Err(QueryError::RowOutOfRange {
                        row: r,
                        rows: ids.len() as u64,
                    }),
                },
            )
            .collect()
    }

    /// Rows allowed by the request's filter (`None`: all rows).
    pub fn allowed_rows(
        &self,
        request: &SearchRequest,
    ) -> Result<Option<RoaringBitmap>, QueryError> {
        match &request.filter {
            None => Ok(None),
            Some(f) => Ok(Some(f.evaluate(self.filter_columns()?))),
        }
    }

    /// Runs `request`: hits best first, and how the search ran.
    ///
    /// Exclusions come out of the allowed rows first. A browse (no vector, no words) or a sorted
    /// word query lists the allowed matches in order; otherwise the retrieval runs, and when
    /// diversity or caps are asked for, its pool is reranked to `k` ([`super::pool`]).
    pub fn search(
        &self,
        request: &SearchRequest,
    ) -> Result<(Vec<SearchHit>, SearchStats), QueryError> {
        let start = Instant::now();
        if request.is_browse() && !request.diversify.is_none() {
            return Err(QueryError::InvalidRequest(
                "diversity reranks by relevance and similarity; a browse has neither: give a \
                 text, vector, tag or more-like-these query, or use caps alone"
                    .into(),
            ));
        }
        let mut allowed = self.allowed_rows(request)?;
        let mut stats = SearchStats::default();
        if !request.exclusions.is_empty() {
            let (excluded, unknown) = pool::excluded_rows(self, &request.exclusions)?;
            stats.excluded_unknown = unknown;
            if !excluded.is_empty() {
                let mut set = allowed
                    .take()
                    .unwrap_or_else(|| (0..self.library.rows() as u32).collect());
                set -= excluded;
                allowed = Some(set);
            }
        }
        stats.allowed_rows = allowed.as_ref().map(|a| a.len());
        let k = request.k;
        let limit = allowed
            .as_ref()
            .map_or(self.library.rows(), |a| a.len())
            .max(1) as usize;
        let ranked: Vec<Reranked> = if request.is_browse() || request.sort.is_some() {
            let list = self.browse_list(request, allowed.as_ref())?;
            let stage = self.pool_stage(request, None);
            let (picks, rerank) =
                pool::rerank_widening(&stage, request.pool_size(), limit, |depth| {
                    Ok(list[..depth.min(list.len())].to_vec())
                })?;
            stats.rerank = Some(rerank).filter(|_| request.reranks());
            picks
        } else if request.reranks() {
            let space = match request.diversify {
                Diversify::None => None,
                _ => Some(pool::diversity_space(self, request.diversity_space)?),
            };
            let stage = self.pool_stage(request, space);
            let (picks, rerank) =
                pool::rerank_widening(&stage, request.pool_size(), limit, |depth| {
                    let (list, plan) = self.retrieve(request, &mut allowed, depth)?;
                    stats.plan = plan;
                    Ok(list)
                })?;
            stats.rerank = Some(rerank);
            picks
        } else {
            let (list, plan) = self.retrieve(request, &mut allowed, k)?;
            stats.plan = plan;
            list.into_iter()
                .take(k)
                .enumerate()
                .map(|(i, (row, score))| Reranked {
                    row,
                    relevance: score,
                    pool_rank: i,
                    score,
                })
                .collect()
        };
        let reranked = stats.rerank.is_some();
        let rows: Vec<u64> = ranked.iter().map(|r| r.row).collect();
        let fetched = self.hit_fields(&rows, &request.fields)?;
        let hits = ranked
            .into_iter()
            .zip(fetched)
            .map(|(r, (track_id, fields))| SearchHit {
                track_id,
                score: r.relevance,
                rerank: reranked.then_some(HitRerank {
                    pool_rank: r.pool_rank + 1,
                    score: r.score,
                }),
                row: r.row,
                fields,
            })
            .collect();
        stats.micros = start.elapsed().as_micros() as u64;
        Ok((hits, stats))
    }

    fn pool_stage<'a>(
        &'a self,
        request: &'a SearchRequest,
        space: Option<EmbeddingKind>,
    ) -> PoolRerank<'a> {
        PoolRerank {
            searcher: self,
            method: request.diversify,
            caps: &request.caps,
            space,
            scale_to_best: request.words.is_some(),
            k: request.k,
        }
    }

    /// The retrieval's ranked list, at most `depth` long, best first.
    fn retrieve(
        &self,
        request: &SearchRequest,
        allowed: &mut Option<RoaringBitmap>,
        depth: usize,
    ) -> Result<(Vec<Ranked>, Option<Plan>), QueryError> {
        // A hybrid request fuses deeper lists than it returns, so that a row ranked just below
        // the cut by one side can still win with the other side's vote.
        let side_depth = if request.is_hybrid() {
            (4 * depth).clamp(100, MAX_K.max(depth))
        } else {
            depth
        };
        let mut plan = None;
        let vector_hits = match &request.vector {
            None => None,
            Some(vq) => {
                let (hits, p) = self.vector_part(vq, request, allowed, side_depth)?;
                plan = p;
                Some(hits)
            }
        };
        let word_hits = match &request.words {
            None => None,
            Some(q) => Some(self.word_part(request, q, allowed.as_ref(), side_depth)?),
        };
        let ranked = match (vector_hits, word_hits) {
            (Some(v), Some(w)) => {
                let v: Vec<u64> = v.iter().map(|h| h.row).collect();
                let w: Vec<u64> = w.iter().map(|h| h.row).collect();
                reciprocal_rank_fusion(&[&v, &w], request.rrf_k, depth)
            }
            (Some(h), None) | (None, Some(h)) => h
                .into_iter()
                .take(depth)
                .map(|h| (h.row, h.score))
                .collect(),
            (None, None) => {
                return Err(QueryError::InvalidRequest(
                    "nothing to search for: give a vector, track ids, text, a tag query or a \
                     filter to browse"
                        .into(),
                ));
            }
        };
        Ok((ranked, plan))
    }

    fn word_part(
        &self,
        request: &SearchRequest,
        query: &str,
        allowed: Option<&RoaringBitmap>,
        depth: usize,
    ) -> Result<Vec<Hit>, QueryError> {
        let statistics = request.text_statistics.as_deref();
        Ok(self
            .text_index()?
            .search_scored_by(query, statistics, allowed, depth)?)
    }

    /// The corpus statistics this library's BM25 scores the word query `query` with. A sharded
    /// catalogue sums them over its shards and gives the sum to every shard's search
    /// ([`SearchRequest::text_statistics`]), so text scores do not depend on the sharding.
    pub fn text_statistics(&self, query: &str) -> Result<TextStatistics, QueryError> {
        Ok(self.text_index()?.statistics(query)?)
    }

    fn text_index(&self) -> Result<&TextIndex, QueryError> {
        self.library
            .text_index()
            .ok_or_else(|| QueryError::NoTextIndex(self.library.dir().display().to_string()))
    }

    /// A browse's whole list: the allowed rows (or a word query's every allowed match) in
    /// library order, by relevance, or by the request's sort field. A row's score is its sort
    /// value (0 without one), or its word score.
    fn browse_list(
        &self,
        request: &SearchRequest,
        allowed: Option<&RoaringBitmap>,
    ) -> Result<Vec<Ranked>, QueryError> {
        let columns = self.filter_columns()?;
        let list = match &request.words {
            None => browse::order(columns, allowed, request.sort),
            Some(q) => {
                let all = allowed.map_or(self.library.rows(), |a| a.len()).max(1) as usize;
                let hits = self.word_part(request, q, allowed, all)?;
                let matched: RoaringBitmap = hits.iter().map(|h| h.row as u32).collect();
                browse::order(columns, Some(&matched), request.sort)
            }
        };
        Ok(list
            .into_iter()
            .map(|(row, v)| (row, if v.is_nan() { 0.0 } else { v }))
            .collect())
    }

    fn vector_part(
        &self,
        vq: &VectorQuery,
        request: &SearchRequest,
        allowed: &mut Option<RoaringBitmap>,
        depth: usize,
    ) -> Result<(Vec<Hit>, Option<Plan>), QueryError> {
        match vq {
            VectorQuery::Vector { space, vector } => {
                let q = normalise_query(vector, self.dim(*space)?)?;
                let (hits, plan) = self.nearest(
                    *space,
                    &q,
                    depth,
                    self.walk_ef(request, *space),
                    allowed.as_ref(),
                    request.exact,
                )?;
                Ok((hits, Some(plan)))
            }
            VectorQuery::Text(prompt) => {
                let embedder = self.embedder.as_ref().ok_or_else(|| self.no_embedder())?;
                self.check_encoder(embedder.as_ref())?;
                let v = embedder
                    .embed_query(prompt)
                    .map_err(|source| QueryError::Embedding {
                        what: "the text prompt".into(),
                        source,
                    })?;
                let q = normalise_query(&v, self.dim(EmbeddingKind::Text)?)?;
                let (hits, plan) = self.nearest(
                    EmbeddingKind::Text,
                    &q,
                    depth,
                    self.walk_ef(request, EmbeddingKind::Text),
                    allowed.as_ref(),
                    request.exact,
                )?;
                Ok((hits, Some(plan)))
            }
            VectorQuery::Like {
                space,
                positives,
                negatives,
                strategy,
            } => {
                let pos = self.rows_of(positives)?;
                let neg = self.rows_of(negatives)?;
                // The example tracks never come back: take them out of the allowed set, so k
                // results are still guaranteed.
                let mut set = allowed
                    .take()
                    .unwrap_or_else(|| (0..self.library.rows() as u32).collect());
                for r in pos.iter().chain(&neg) {
                    set.remove(*r as u32);
                }
                *allowed = Some(set);
                let vectors = self.vectors(*space)?;
                match strategy {
                    LikeStrategy::AverageVector => {
                        let q = like::average_query(vectors, &pos, &neg).ok_or_else(|| {
                            QueryError::InvalidRequest(
                                "the liked and unliked tracks cancel out (their average is zero)"
                                    .into(),
                            )
                        })?;
                        let (hits, plan) = self.nearest(
                            *space,
                            &q,
                            depth,
                            self.walk_ef(request, *space),
                            allowed.as_ref(),
                            request.exact,
                        )?;
                        Ok((hits, Some(plan)))
                    }
                    LikeStrategy::BestScore => {
                        let per = depth.max(64);
                        let mut candidates: Vec<u64> = Vec::new();
                        let mut plan = None;
                        for &p in &pos {
                            let q = vectors.row(p as usize).to_vec();
                            let (hits, pl) = self.nearest(
                                *space,
                                &q,
                                per,
                                self.walk_ef(request, *space),
                                allowed.as_ref(),
                                request.exact,
                            )?;
                            plan = Some(pl);
                            candidates.extend(hits.iter().map(|h| h.row));
                        }
                        candidates.sort_unstable();
                        candidates.dedup();
                        let mut scored: Vec<Hit> = candidates
                            .into_iter()
                            .map(|row| Hit {
                                row,
                                score: like::best_score(vectors, row, &pos, &neg),
                            })
                            .collect();
                        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
                        scored.truncate(depth);
                        Ok((scored, plan))
                    }
                }
            }
        }
    }

    /// Nearest rows to the normalised `q` in `space` among `allowed`; `ef` unset: the ef tuned
    /// for the space's graph ([`Searcher::default_ef`]), and at least `2·k`: the tuned ef is
    /// for a top 10, and a walk at ef = k (a rerank pool of 100 at ef 100) misses a quarter
    /// of the pool's exact members.
    pub fn nearest(
        &self,
        space: EmbeddingKind,
        q: &[f32],
        k: usize,
        ef: Option<usize>,
        allowed: Option<&RoaringBitmap>,
        exact: bool,
    ) -> Result<(Vec<Hit>, Plan), QueryError> {
        let vectors = self.vectors(space)?;
        let ef = ef.unwrap_or_else(|| self.default_ef(space).max(2 * k));
        Ok(vector::search(&VectorSearch {
            vectors,
            quantised: self.library.quantised(space),
            graph: self.library.ann(space),
            query: q,
            k,
            ef,
            allowed,
            exact,
            threads: self.threads,
        })?)
    }

    /// The search ef when the request sets none: the one tuned for this space's graph when it
    /// was built (recall@10 >= 0.95 on its own rows), else the fixed default.
    pub fn default_ef(&self, space: EmbeddingKind) -> usize {
        self.library
            .manifest()
            .ann
            .get(space.column())
            .and_then(|a| a.search_ef)
            .map_or(segue_index::ann::params::DEFAULT_EF_SEARCH, |ef| {
                ef as usize
            })
    }

    /// The ef of the walk that fills `request`'s candidates in `space`: the request's rule
    /// ([`SearchRequest::walk_ef`]) given the space's tuned ef and its graph's links per node
    /// (the default M when it has no graph: then nothing is walked anyway).
    fn walk_ef(&self, request: &SearchRequest, space: EmbeddingKind) -> Option<usize> {
        let graph_m = self
            .library
            .manifest()
            .ann
            .get(space.column())
            .map_or(segue_index::ann::params::DEFAULT_M, |a| a.m as usize);
        request.walk_ef(self.default_ef(space), graph_m)
    }

    fn vectors(&self, space: EmbeddingKind) -> Result<&segue_index::VectorFile, QueryError> {
        self.library
            .vectors(space)
            .ok_or_else(|| QueryError::MissingEmbedding(space.column().to_string()))
    }

    fn dim(&self, space: EmbeddingKind) -> Result<u32, QueryError> {
        Ok(self.vectors(space)?.dim())
    }

    fn rows_of(&self, ids: &[String]) -> Result<Vec<u64>, QueryError> {
        let map = self.rows_by_id()?;
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !map.contains_key(*id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(QueryError::UnknownTracks(missing.join(", ")));
        }
        Ok(ids.iter().map(|id| map[id]).collect())
    }

    /// The text embedder, if one was given.
    pub fn text_embedder(&self) -> Option<&Arc<dyn TextEmbedder>> {
        self.embedder.as_ref()
    }

    /// Why text cannot be embedded into this library's space without an embedder.
    pub(crate) fn no_embedder(&self) -> QueryError {
        let text = self
            .library
            .manifest()
            .embeddings
            .get(EmbeddingKind::Text.column());
        QueryError::NoTextEncoder(match text {
            None => "the library has no text embeddings".into(),
            Some(e) => match &e.encoder {
                None => "its text embeddings came with the catalogue, from an encoder Segue \
                         does not know; give text embeddings (text_emb) instead"
                    .into(),
                Some(id) => format!(
                    "no embedder is attached for its encoder {id} (the segue facade's \
                     open_searcher and open_planner attach all-MiniLM-L6-v2, fp32 or int8)"
                ),
            },
        })
    }

    /// Checks that `embedder` is the encoder of the library's text space.
    pub(crate) fn check_encoder(&self, embedder: &dyn TextEmbedder) -> Result<(), QueryError> {
        let ours = embedder.encoder_id();
        let theirs = self
            .library
            .manifest()
            .embeddings
            .get(EmbeddingKind::Text.column())
            .ok_or_else(|| QueryError::MissingEmbedding(EmbeddingKind::Text.column().into()))?
            .encoder
            .clone();
        match theirs {
            Some(t) if t == ours => Ok(()),
            Some(t) => Err(QueryError::EncoderMismatch {
                library: t,
                query: ours,
            }),
            None => Err(QueryError::EncoderMismatch {
                library: "unknown (text embeddings supplied with the catalogue)".into(),
                query: ours,
            }),
        }
    }
}
