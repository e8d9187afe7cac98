//! Tracks gathered from the shards of a sharded catalogue, as the objective reads them.
//!
//! A shard hands out exactly what [`crate::LibraryTracks`] reads of its own rows (the vector
//! files' unit rows and raw norms, the f32 features widened to f64), so the objective scores a
//! gathered track to the bit as the single library holding every track would.

use std::sync::Arc;

use crate::error::QueryError;
use crate::objective::{Row, TrackFeatures, TrackSource, TrackVector};
use crate::search::TrackFields;
use crate::sequencer::{CandidateProvider, NO_ARTIST};
use crate::video::EmbeddingDims;

/// One space's embedding of a track as its vector file holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    /// The L2-normalised row (zero when the track has no embedding).
    pub unit: Vec<f32>,
    /// The raw embedding's norm.
    pub raw_norm: f64,
}

/// What a router needs of one track to plan with it.
#[derive(Debug, Clone, PartialEq)]
pub struct GatheredTrack {
    /// The track's row in the catalogue of record: the order of the single library.
    pub global_row: u64,
    pub id: String,
    pub fields: TrackFields,
    pub audio: Option<StoredVector>,
    pub text: Option<StoredVector>,
    pub features: TrackFeatures,
    /// The track's energy ranked among every track of the catalogue (only the motion–energy
    /// term reads it).
    pub energy_rank: Option<f64>,
}

/// Gathered tracks in global-row order: row `i` is the `i`-th smallest global row, so row
/// order (every tie-break of the sequencers) is the single library's.
#[derive(Debug, Clone)]
pub struct GatheredTracks {
    tracks: Vec<GatheredTrack>,
    dims: EmbeddingDims,
    artists: Arc<[u32]>,
}

impl GatheredTracks {
    /// Sorts `tracks` by global row; refuses duplicates and vectors of the wrong dimension.
    pub fn new(mut tracks: Vec<GatheredTrack>, dims: EmbeddingDims) -> Result<Self, QueryError> {
        tracks.sort_by_key(|t| t.global_row);
        if let Some(w) = tracks
            .windows(2)
            .find(|w| w[0].global_row == w[1].global_row)
        {
            return Err(QueryError::InvalidArgument(format!(
                "global row {} was gathered twice (tracks `{}` and `{}`)",
                w[0].global_row, w[0].id, w[1].id
            )));
        }
        for t in &tracks {
            for (name, v, dim) in [
                ("audio", &t.audio, dims.audio),
                ("text", &t.text, dims.text),
            ] {
                let got = v.as_ref().map(|v| v.unit.len());
                if got.is_some() && got != dim {
                    return Err(QueryError::DimensionMismatch {
                        what: format!("the {name} vector of gathered track `{}`", t.id),
                        expected: dim.unwrap_or(0),
                        got: got.unwrap_or(0),
                    });
                }
            }
        }
        // Artists coded as the filter columns code them: equal when equal after case folding.
        let mut names: Vec<String> = Vec::new();
        let artists = tracks
            .iter()
            .map(|t| match &t.fields.artist {
                None => NO_ARTIST,
                Some(a) => {
                    let folded = a.to_lowercase();
                    match names.iter().position(|n| *n == folded) {
                        Some(i) => i as u32,
                        None => {
                            names.push(folded);
                            (names.len() - 1) as u32
                        }
                    }
                }
            })
            .collect();
        Ok(GatheredTracks {
            tracks,
            dims,
            artists,
        })
    }

    pub fn get(&self, row: Row) -> &GatheredTrack {
        &self.tracks[row as usize]
    }

    /// The row of `global_row`, if it was gathered.
    pub fn row_of(&self, global_row: u64) -> Option<Row> {
        self.tracks
            .binary_search_by_key(&global_row, |t| t.global_row)
            .ok()
            .map(|i| i as Row)
    }

    /// An artist code per row, for an [`crate::sequencer::ArtistCap`].
    pub fn artist_codes(&self) -> Arc<[u32]> {
        self.artists.clone()
    }

    /// Whether every track carries its catalogue-wide energy rank.
    pub fn has_energy_ranks(&self) -> bool {
        self.tracks.iter().all(|t| t.energy_rank.is_some())
    }

    fn vector(v: &Option<StoredVector>) -> Option<TrackVector<'_>> {
        v.as_ref().map(|v| TrackVector {
            values: &v.unit,
            values_norm: 1.0,
            raw_norm: v.raw_norm,
        })
    }
}

impl TrackSource for GatheredTracks {
    fn len(&self) -> u64 {
        self.tracks.len() as u64
    }

    fn dims(&self) -> EmbeddingDims {
        self.dims
    }

    fn audio(&self, row: Row) -> Option<TrackVector<'_>> {
        Self::vector(&self.get(row).audio)
    }

    fn text(&self, row: Row) -> Option<TrackVector<'_>> {
        Self::vector(&self.get(row).text)
    }

    fn features(&self, row: Row) -> TrackFeatures {
        self.get(row).features
    }

    fn energy_rank(&self, row: Row) -> f64 {
        // The planner refuses a motion–energy weight without ranks, so this is never reached
        // without them.
        self.get(row).energy_rank.unwrap_or(0.5)
    }
}

/// Candidates chosen beforehand, per segment (the router ranks the shards' merged answers).
#[derive(Debug, Clone)]
pub struct ListedCandidates {
    pub per_segment: Vec<Vec<Row>>,
}

impl CandidateProvider for ListedCandidates {
    fn candidates(
        &mut self,
        episode: &crate::objective::Episode<'_>,
        out: &mut Vec<Row>,
    ) -> Result<(), QueryError> {
        let rows = self.per_segment.get(episode.t()).ok_or_else(|| {
            QueryError::InvalidArgument(format!(
                "no candidates were listed for segment {}",
                episode.t()
            ))
        })?;
        out.extend_from_slice(rows);
        Ok(())
    }
}
