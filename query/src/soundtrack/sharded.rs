//! Soundtracks over a sharded catalogue: the planner runs at the router, and every shard (an
//! ordinary library holding a slice of the tracks, in global-row order) answers its part of
//! the candidate search.
//!
//! A plan takes three rounds, each one call per shard:
//! 1. [`ShardedPlanner::segment_directions`] gives each segment's search directions (the
//!    scalable planner's, from the fit's references); every shard returns its best `count`
//!    rows per direction ([`Planner::candidate_hits`]), filter and exclusions applied inside.
//! 2. The router merges each direction's lists by score, ties to the lower global row: with
//!    exact scans this is the single library's list. The union per segment is gathered
//!    ([`Planner::gather_tracks`]; with a motion–energy weight, ranked by
//!    [`Planner::energy_counts`] summed over the shards).
//! 3. [`ShardedPlanner::plan`] ranks each segment's union jointly, as the single library's
//!    planner does, and runs the sequencer over the gathered tracks.
//!
//! With exact candidate scans the plan is the single library's, segment for segment; with the
//! graphs each shard's lists are approximate, as the single library's are.

use std::time::Instant;

use roaring::RoaringBitmap;

use segue_index::EmbeddingKind;
use segue_index::exact::Hit;

use super::fit::{SoundtrackFit, default_budget};
use super::gathered::{GatheredTrack, GatheredTracks, ListedCandidates, StoredVector};
use super::plan::{PlanTiming, SoundtrackPlan};
use super::planner::{PlanOptions, Planner, PolicyChoice, builtin_sequencer};
use crate::error::QueryError;
use crate::objective::{Objective, ReferenceEmbeddings, Row, TrackSource};
use crate::search::Field;
use crate::sequencer::{
    ArtistCap, CANDIDATE_EF, Candidates, QueryDirections, SpaceDirection, check_candidate_count,
    rank_jointly, run_episode, search_direction,
};
use crate::video::{EmbeddingDims, Video};

/// The shard's side.
impl Planner {
    /// For each segment, the best `fetch` rows of this shard per query (a space and a unit
    /// direction) among the rows `filter` allows less `exclude_ids`; a segment without queries
    /// gets the first `fetch` allowed rows (score 0). Exact scans when `exact_scan`, else the
    /// graphs with the scalable planner's candidate list size.
    pub fn candidate_hits(
        &self,
        segments: &[Vec<(EmbeddingKind, Vec<f32>)>],
        fetch: usize,
        filter: Option<&str>,
        exclude_ids: &[String],
        exact_scan: bool,
    ) -> Result<Vec<Vec<Vec<Hit>>>, QueryError> {
        check_candidate_count(fetch)?;
        let allowed = self.allowed_rows(filter)?;
        let allowed = self.without_ids(allowed, exclude_ids)?;
        let library = self.library();
        segments
            .iter()
            .map(|queries| {
                if queries.is_empty() {
                    let rows: Vec<u64> = match &allowed {
                        Some(a) => a.iter().take(fetch).map(u64::from).collect(),
                        None => (0..library.rows().min(fetch as u64)).collect(),
                    };
                    let first: Vec<Hit> = rows
                        .into_iter()
                        .map(|row| Hit { row, score: 0.0 })
                        .collect();
                    return Ok(vec![first]);
                }
                queries
                    .iter()
                    .map(|(kind, query)| {
                        let file = library.vectors(*kind).ok_or_else(|| {
                            QueryError::InvalidArgument(format!(
                                "this shard has no {} space",
                                kind.column()
                            ))
                        })?;
                        if query.len() != file.dim() as usize {
                            return Err(QueryError::DimensionMismatch {
                                what: format!("a {} candidate query", kind.column()),
                                expected: file.dim() as usize,
                                got: query.len(),
                            });
                        }
                        search_direction(
                            library,
                            *kind,
                            query,
                            fetch,
                            CANDIDATE_EF.max(fetch),
                            allowed.as_ref(),
                            exact_scan,
                        )
                    })
                    .collect()
            })
            .collect()
    }

    /// `allowed` less the rows of `ids` (ids this library lacks are ignored).
    fn without_ids(
        &self,
        allowed: Option<RoaringBitmap>,
        ids: &[String],
    ) -> Result<Option<RoaringBitmap>, QueryError> {
        if ids.is_empty() {
            return Ok(allowed);
        }
        let excluded: RoaringBitmap = {
            let by_id = self.searcher().rows_by_id()?;
            ids.iter()
                .filter_map(|id| by_id.get(id))
                .map(|&r| r as u32)
                .collect()
        };
        let mut set = allowed.unwrap_or_else(|| (0..self.library().rows() as u32).collect());
        set -= excluded;
        Ok(Some(set))
    }

    /// What a router plans with, for each of `rows` (`global_rows[i]` is `rows[i]`'s global
    /// row): exactly what this library's planner reads of them.
    pub fn gather_tracks(
        &self,
        rows: &[Row],
        global_rows: &[u64],
    ) -> Result<Vec<GatheredTrack>, QueryError> {
        let n = self.library().rows();
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            return Err(QueryError::RowOutOfRange { row: bad, rows: n });
        }
        if global_rows.len() != rows.len() {
            return Err(QueryError::InvalidArgument(format!(
                "{} global rows for {} rows",
                global_rows.len(),
                rows.len()
            )));
        }
        let fields = crate::search::fields::track_fields(
            self.library(),
            rows,
            &[Field::Title, Field::Artist, Field::DurationS],
        )?;
        let tracks = self.tracks();
        let stored = |v: Option<crate::objective::TrackVector<'_>>| {
            v.map(|v| StoredVector {
                unit: v.values.to_vec(),
                raw_norm: v.raw_norm,
            })
        };
        Ok(rows
            .iter()
            .zip(global_rows)
            .zip(fields)
            .map(|((&row, &global_row), (id, fields))| GatheredTrack {
                global_row,
                id,
                fields,
                audio: stored(tracks.audio(row)),
                text: stored(tracks.text(row)),
                features: tracks.features(row),
                energy_rank: None,
            })
            .collect())
    }

    /// For each of `values`, how many of this library's tracks have a lower energy and how
    /// many an equal one: summed over shards, a track's catalogue-wide energy rank.
    pub fn energy_counts(&self, values: &[f64]) -> Vec<(u64, u64)> {
        let sorted = self.sorted_energies();
        values
            .iter()
            .map(|&v| {
                let less = sorted.partition_point(|&e| e < v);
                let not_more = sorted.partition_point(|&e| e <= v);
                (less as u64, (not_more - less) as u64)
            })
            .collect()
    }
}

/// The rank [`crate::objective::percentile_ranks`] gives a value with `less` smaller and
/// `equal` equal values (itself included) among `n`, as the f32 the library keeps.
pub fn energy_rank_from_counts(less: u64, equal: u64, n: u64) -> f64 {
    if n == 1 {
        return f64::from(0.5f32);
    }
    let mean = (2 * less + equal - 1) as f64 / 2.0;
    f64::from((mean / (n - 1) as f64) as f32)
}

/// One shard's answer to a router's candidate queries: per segment, per query, its best rows
/// as (global row, score).
pub type ShardCandidateHits = Vec<Vec<Vec<(u64, f32)>>>;

/// The merged candidate rows per segment: `shards[s][t][q]` is shard `s`'s answer to segment
/// `t`'s query `q` as (global row, score); each query's lists are merged to their best `fetch`
/// by score, ties to the lower global row (the single library's order), and the union of a
/// segment's queries is its merged candidates, ascending.
pub fn merge_candidate_hits(
    shards: &[ShardCandidateHits],
    fetch: usize,
) -> Result<Vec<Vec<u64>>, QueryError> {
    let Some(first) = shards.first() else {
        return Err(QueryError::InvalidArgument("no shard answered".into()));
    };
    let shape: Vec<usize> = first.iter().map(Vec::len).collect();
    if let Some(s) = shards
        .iter()
        .position(|sh| sh.iter().map(Vec::len).ne(shape.iter().copied()))
    {
        return Err(QueryError::InvalidArgument(format!(
            "shard {s} answered another number of segments or queries than shard 0"
        )));
    }
    let mut merged = Vec::with_capacity(shape.len());
    let mut pool: Vec<(u64, f32)> = Vec::new();
    for (t, &queries) in shape.iter().enumerate() {
        let mut rows = Vec::new();
        for q in 0..queries {
            pool.clear();
            pool.extend(shards.iter().flat_map(|sh| sh[t][q].iter().copied()));
            pool.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            rows.extend(pool.iter().take(fetch).map(|(g, _)| *g));
        }
        rows.sort_unstable();
        rows.dedup();
        merged.push(rows);
    }
    Ok(merged)
}

/// Plans soundtracks at a sharded catalogue's router.
#[derive(Debug, Clone)]
pub struct ShardedPlanner {
    dims: EmbeddingDims,
    fit: Option<SoundtrackFit>,
    no_reference: ReferenceEmbeddings,
    directions: QueryDirections,
    version: u64,
}

impl ShardedPlanner {
    /// A planner for cluster `version` whose shards have `dims` and carry `fit` (all shards
    /// carry the same one, or none).
    pub fn new(dims: EmbeddingDims, fit: Option<SoundtrackFit>, version: u64) -> Self {
        let no_reference = ReferenceEmbeddings::default();
        let directions = QueryDirections::new(fit.as_ref().map_or(&no_reference, |f| &f.reference));
        ShardedPlanner {
            dims,
            fit,
            no_reference,
            directions,
            version,
        }
    }

    pub fn dims(&self) -> EmbeddingDims {
        self.dims
    }

    fn reference(&self) -> &ReferenceEmbeddings {
        self.fit
            .as_ref()
            .map_or(&self.no_reference, |f| &f.reference)
    }

    /// Checks `video` as the single library's planner does. Captions are not embedded here (a
    /// shard's text space has no encoder at the router): a video must carry embeddings.
    pub fn check(&self, video: &Video) -> Result<(), QueryError> {
        video
            .validate(self.dims)
            .map_err(|i| QueryError::InvalidVideo(Box::new(i)))?;
        let signal = video.segments.iter().any(|s| {
            (self.dims.audio.is_some() && s.audio_emb.is_some())
                || (self.dims.text.is_some() && s.text_emb.is_some())
        });
        if !signal {
            return Err(QueryError::InvalidVideo(Box::new(
                crate::video::VideoIssue::new(
                    "no segment has an embedding in a space the catalogue has (a sharded \
                     catalogue does not embed captions: give segments their text_emb)",
                )
                .video(&video.id),
            )));
        }
        Ok(())
    }

    /// Each segment's search directions (empty: the first allowed rows are its candidates).
    pub fn segment_directions(
        &self,
        video: &Video,
    ) -> Result<Vec<Vec<SpaceDirection>>, QueryError> {
        self.check(video)?;
        let dims = self.dims;
        (0..video.segments.len())
            .map(|t| {
                self.directions.segment(video, t, |kind| match kind {
                    EmbeddingKind::Audio => dims.audio,
                    EmbeddingKind::Text => dims.text,
                })
            })
            .collect()
    }

    /// Plans `video` over `tracks` with `merged[t]`, segment `t`'s merged candidate rows
    /// (global rows, every one gathered): ranked jointly to `opts.candidates` where the segment
    /// has directions, else the first of them in global-row order. Exact planning (every
    /// track) and trained policies are the single library's alone; the filter and exclusions
    /// were applied by the shards.
    pub fn plan(
        &self,
        video: &Video,
        tracks: &GatheredTracks,
        merged: &[Vec<u64>],
        opts: &PlanOptions,
    ) -> Result<SoundtrackPlan, QueryError> {
        if opts.exact {
            return Err(QueryError::InvalidArgument(
                "exact planning evaluates every track, which a sharded catalogue does not \
                 bring to one place: plan with candidates (exact_candidates for the single \
                 library's answer)"
                    .into(),
            ));
        }
        if matches!(opts.policy, PolicyChoice::Trained(_)) {
            return Err(QueryError::InvalidArgument(
                "trained policies are not available on a sharded catalogue yet; use random, \
                 greedy-aligned, greedy-all or beam"
                    .into(),
            ));
        }
        check_candidate_count(opts.candidates)?;
        if opts.objective.weights.motion_energy != 0.0 && !tracks.has_energy_ranks() {
            return Err(QueryError::InvalidArgument(
                "a motion-energy weight needs every gathered track's catalogue-wide energy rank"
                    .into(),
            ));
        }
        let directions = self.segment_directions(video)?;
        if merged.len() != video.segments.len() {
            return Err(QueryError::InvalidArgument(format!(
                "candidates for {} segments, video `{}` has {}",
                merged.len(),
                video.id,
                video.segments.len()
            )));
        }
        let start = Instant::now();
        let mut scratch = Vec::new();
        let per_segment = directions
            .iter()
            .zip(merged)
            .map(|(dirs, globals)| {
                let mut rows = globals
                    .iter()
                    .map(|&g| {
                        tracks.row_of(g).ok_or_else(|| {
                            QueryError::InvalidArgument(format!(
                                "candidate global row {g} was not gathered"
                            ))
                        })
                    })
                    .collect::<Result<Vec<Row>, QueryError>>()?;
                rows.sort_unstable();
                rows.dedup();
                if dirs.is_empty() {
                    rows.truncate(opts.candidates);
                    return Ok(rows);
                }
                let vector = |kind: EmbeddingKind, row: Row| {
                    let t = tracks.get(row);
                    let v = match kind {
                        EmbeddingKind::Audio => t.audio.as_ref(),
                        EmbeddingKind::Text => t.text.as_ref(),
                    };
                    v.map_or(&[][..], |v| v.unit.as_slice())
                };
                Ok(rank_jointly(
                    dirs,
                    &rows,
                    vector,
                    opts.candidates,
                    &mut scratch,
                ))
            })
            .collect::<Result<Vec<_>, QueryError>>()?;
        let mut candidates = Candidates::new(ListedCandidates { per_segment });
        if let Some(max) = opts.max_per_artist {
            candidates = candidates.with_artist_cap(ArtistCap::new(tracks.artist_codes(), max)?);
        }
        if let Some(rerank) = opts.diversify {
            candidates = candidates.with_step_rerank(rerank);
        }
        let candidates = candidates.whole_segments(opts.whole_segments);
        let mut sequencer = builtin_sequencer(opts, candidates)?;
        let budget = match &self.fit {
            Some(f) => f.budget_for(video)?,
            None => default_budget(video),
        };
        let objective = Objective::new(tracks, self.reference(), opts.objective)?;
        let outcome = run_episode(&objective, video, budget, sequencer.as_mut())?;
        let total_ms = start.elapsed().as_secs_f64() * 1e3;
        let fields: Vec<_> = outcome
            .tracks()
            .iter()
            .map(|&r| {
                let t = tracks.get(r);
                (t.id.clone(), t.fields.clone())
            })
            .collect();
        let timing = PlanTiming {
            total_ms,
            ms_per_step: total_ms / outcome.steps.len().max(1) as f64,
        };
        let mut plan = SoundtrackPlan::from_outcome(
            video,
            &outcome,
            sequencer.name(),
            self.version,
            &fields,
            timing,
            self.dims.audio.is_some(),
        );
        plan.motion_energy_spearman =
            plan.motion_energy_correlation(video, |row| tracks.features(row).energy);
        for s in &mut plan.segments {
            s.row = tracks.get(s.row).global_row;
        }
        Ok(plan)
    }
}

#[cfg(test)]
#[path = "sharded_tests.rs"]
mod tests;
