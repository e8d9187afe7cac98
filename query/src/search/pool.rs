//! The rerank stage of a search: a pool of candidates from the ordinary retrieval, reordered
//! to `k` by [`crate::rerank`] with the caps in the same pass, the pool widened until `k`
//! qualify or every allowed track is in it.
//!
//! Exclusions are not part of the pool: they are taken out of the allowed rows before any
//! retrieval, so the retrieval's own guarantee (k whenever k are allowed) covers them.

use roaring::RoaringBitmap;
use serde::Serialize;

use segue_index::EmbeddingKind;
use segue_index::filter::{FilterColumns, TextField};

use crate::error::QueryError;
use crate::rerank::{self, CapGroups, CapGroupsBuilder, Caps, Diversify, Exclusions, Pick};
use crate::search::Searcher;

/// Each widening multiplies the pool by this.
pub const WIDEN_FACTOR: usize = 4;

/// How a search's pool was reranked (in [`crate::search::SearchStats`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RerankStats {
    /// The diversity method that ran (`none`: relevance order under caps).
    pub reranker: Diversify,
    /// The embedding space of the similarities (`None` without diversity), by column name.
    #[serde(serialize_with = "space_name")]
    pub space: Option<EmbeddingKind>,
    /// Candidates in the last pool reranked.
    pub pool: usize,
    /// Times the pool was widened because the caps left fewer than `k`.
    pub widenings: u32,
}

fn space_name<S: serde::Serializer>(
    space: &Option<EmbeddingKind>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match space {
        Some(k) => s.serialize_some(k.column()),
        None => s.serialize_none(),
    }
}

/// A ranked candidate: row and retrieval score (relevance before reranking).
pub(crate) type Ranked = (u64, f32);

/// One reranked result: the row, its retrieval score, its rank in the pool (0-based) and the
/// reranker's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reranked {
    pub row: u64,
    pub relevance: f32,
    pub pool_rank: usize,
    pub score: f32,
}

/// The rows the exclusions remove, and how many excluded track ids the library does not have.
pub(crate) fn excluded_rows(
    searcher: &Searcher,
    exclusions: &Exclusions,
) -> Result<(RoaringBitmap, usize), QueryError> {
    let mut rows = RoaringBitmap::new();
    let mut unknown = 0;
    if !exclusions.track_ids.is_empty() {
        let by_id = searcher.rows_by_id()?;
        for id in &exclusions.track_ids {
            match by_id.get(id) {
                Some(&r) => {
                    rows.insert(r as u32);
                }
                None => unknown += 1,
            }
        }
    }
    if !exclusions.artists.is_empty() {
        let columns = searcher.filter_columns()?;
        let codes: Vec<u32> = exclusions
            .artists
            .iter()
            .filter_map(|a| columns.code_of(TextField::Artist, a))
            .collect();
        if !codes.is_empty() {
            rows.extend((0..columns.rows()).filter(|&r| {
                columns
                    .text_code(TextField::Artist, r)
                    .is_some_and(|c| codes.contains(&c))
            }));
        }
    }
    Ok((rows, unknown))
}

/// The capped groups of the pool's rows: `(artist)`, `(artist, album)` — albums of different
/// artists with one name are different albums — and each tag under a capped prefix.
pub(crate) fn cap_groups(columns: &FilterColumns, caps: &Caps, rows: &[u64]) -> CapGroups {
    if caps.is_empty() {
        return CapGroups::none(rows.len());
    }
    #[derive(Hash, PartialEq, Eq)]
    enum Group {
        Artist(u32),
        Album(Option<u32>, u32),
        Tag(usize, usize),
    }
    let mut b = CapGroupsBuilder::new(rows.len());
    let tag_sets: Vec<(u32, Vec<&RoaringBitmap>)> = caps
        .per_tag
        .iter()
        .map(|(prefix, n)| {
            (
                *n,
                columns
                    .tags_under(prefix)
                    .into_iter()
                    .map(|t| t.1)
                    .collect(),
            )
        })
        .collect();
    for (i, &row) in rows.iter().enumerate() {
        let row = row as u32;
        let artist = columns.text_code(TextField::Artist, row);
        if let (Some(n), Some(a)) = (caps.per_artist, artist) {
            b.assign(i, Group::Artist(a), n);
        }
        if let (Some(n), Some(album)) = (caps.per_album, columns.text_code(TextField::Album, row)) {
            b.assign(i, Group::Album(artist, album), n);
        }
        for (p, (n, tags)) in tag_sets.iter().enumerate() {
            for (t, set) in tags.iter().enumerate() {
                if set.contains(row) {
                    b.assign(i, Group::Tag(p, t), *n);
                }
            }
        }
    }
    b.build()
}

/// The embedding space diversity is measured in: the one asked for, else audio when the
/// library has it, else text.
pub(crate) fn diversity_space(
    searcher: &Searcher,
    asked: Option<EmbeddingKind>,
) -> Result<EmbeddingKind, QueryError> {
    let library = searcher.library();
    let space = asked.unwrap_or(if library.vectors(EmbeddingKind::Audio).is_some() {
        EmbeddingKind::Audio
    } else {
        EmbeddingKind::Text
    });
    library
        .vectors(space)
        .map(|_| space)
        .ok_or_else(|| QueryError::MissingEmbedding(space.column().to_string()))
}

/// What one rerank of a pool needs besides the pool.
pub(crate) struct PoolRerank<'a> {
    pub searcher: &'a Searcher,
    pub method: Diversify,
    pub caps: &'a Caps,
    pub space: Option<EmbeddingKind>,
    /// Scale relevance by the pool's best score (BM25 and fused scores are not in [0, 1]).
    pub scale_to_best: bool,
    pub k: usize,
}

impl PoolRerank<'_> {
    /// Up to `k` of `pool` (best first), reranked under the caps.
    pub fn run(&self, pool: &[Ranked]) -> Result<Vec<Reranked>, QueryError> {
        let rows: Vec<u64> = pool.iter().map(|r| r.0).collect();
        let groups = cap_groups(self.searcher.filter_columns()?, self.caps, &rows);
        let best = pool.iter().map(|r| r.1).fold(0f32, f32::max);
        let relevance: Vec<f32> = pool
            .iter()
            .map(|r| {
                if self.scale_to_best && best > 0.0 {
                    r.1 / best
                } else {
                    r.1
                }
            })
            .collect();
        let vectors: Vec<&[f32]> = match (self.method, self.space) {
            (Diversify::None, _) | (_, None) => Vec::new(),
            (_, Some(space)) => {
                let file = self
                    .searcher
                    .library()
                    .vectors(space)
                    .ok_or_else(|| QueryError::MissingEmbedding(space.column().to_string()))?;
                rows.iter().map(|&r| file.row(r as usize)).collect()
            }
        };
        let picks: Vec<Pick> = rerank::rerank(self.method, &relevance, &vectors, &groups, self.k);
        Ok(picks
            .into_iter()
            .map(|p| Reranked {
                row: pool[p.index].0,
                relevance: pool[p.index].1,
                pool_rank: p.index,
                score: p.score,
            })
            .collect())
    }
}

/// Reranks pools from `fetch(depth)` (a ranked list of at most `depth` candidates), starting at
/// `pool` and widening by [`WIDEN_FACTOR`] while fewer than `k` qualify and the retrieval may
/// have more (it returned a full list and `depth < limit`).
pub(crate) fn rerank_widening(
    stage: &PoolRerank<'_>,
    mut pool: usize,
    limit: usize,
    mut fetch: impl FnMut(usize) -> Result<Vec<Ranked>, QueryError>,
) -> Result<(Vec<Reranked>, RerankStats), QueryError> {
    let mut widenings = 0;
    loop {
        let list = fetch(pool)?;
        let picks = stage.run(&list)?;
        let exhausted = list.len() < pool || pool >= limit;
        if picks.len() >= stage.k || exhausted {
            let stats = RerankStats {
                reranker: stage.method,
                space: stage.space.filter(|_| !stage.method.is_none()),
                pool: list.len(),
                widenings,
            };
            return Ok((picks, stats));
        }
        pool = pool.saturating_mul(WIDEN_FACTOR).min(limit);
        widenings += 1;
    }
}
