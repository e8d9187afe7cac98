//! Where the objective reads track data: the [`TrackSource`] trait, and [`TrackTable`], an
//! in-memory implementation.
//!
//! The objective never holds a whole library: it asks a source for the rows it evaluates, so a
//! million-track library behind memory-mapped files serves a sequencer that looks at ~100 rows
//! per step exactly as a 61-track table serves the exact baselines.

use serde::{Deserialize, Serialize};

use super::cosine::norm;
use super::ranks::percentile_ranks;
use crate::error::QueryError;
use crate::video::EmbeddingDims;

/// Dense track row number (the library's internal id, `0..len`).
pub type Row = u64;

/// Number of MFCC coefficients per track (as in the library schema).
pub const MFCC_LEN: usize = 13;

/// A track's embedding in one space, as the objective reads it.
///
/// The raw embedding (the vector exactly as ingested) is `values · raw_norm / values_norm`.
/// A source may hand out the raw vector itself (`values_norm == raw_norm`) or its L2-normalised
/// direction (`values_norm == 1`) together with the raw norm kept apart: cosines only need the
/// direction, but the theme centroid sums raw vectors, and the reference treats a raw norm
/// ≤ 1e-6 as "no embedding".
#[derive(Debug, Clone, Copy)]
pub struct TrackVector<'a> {
    pub values: &'a [f32],
    /// L2 norm of `values`.
    pub values_norm: f64,
    /// L2 norm of the raw embedding.
    pub raw_norm: f64,
}

impl<'a> TrackVector<'a> {
    /// A raw embedding (its norm is computed here; sources that can should cache it).
    pub fn raw(values: &'a [f32]) -> Self {
        let n = norm(values);
        TrackVector {
            values,
            values_norm: n,
            raw_norm: n,
        }
    }

    /// Factor that turns `values` into the raw embedding.
    pub(crate) fn raw_scale(&self) -> f64 {
        if self.values_norm > 0.0 {
            self.raw_norm / self.values_norm
        } else {
            0.0
        }
    }
}

/// The acoustic features the smoothness term compares. A source fills missing features with
/// zeros, as the reference does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackFeatures {
    pub bpm: f64,
    /// Reported (`energy_diff`) but, as in the reference, never part of the reward.
    pub energy: f64,
    pub spectral_centroid: f64,
    pub mfcc: [f64; MFCC_LEN],
    /// Playable length in seconds: CONTINUE is masked once a track has played this long.
    pub duration: f64,
}

/// Track data for the objective, addressed by dense row number.
///
/// Implementations: [`TrackTable`] (in memory); later a library-backed source over the
/// memory-mapped vector files. Rows `>= len()` are never asked for: the objective checks.
/// `Send + Sync` so that candidates can be scored from several threads.
pub trait TrackSource: Send + Sync {
    /// Number of rows.
    fn len(&self) -> u64;

    /// `len() == 0`.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Dimensions of the audio and text spaces (`None`: the source has no such space).
    fn dims(&self) -> EmbeddingDims;

    /// Audio-space embedding of `row`, or `None` if the track has none (the reference then
    /// uses a zero vector: every cosine with it is 0).
    fn audio(&self, row: Row) -> Option<TrackVector<'_>>;

    /// Text-space (caption) embedding of `row`, or `None`.
    fn text(&self, row: Row) -> Option<TrackVector<'_>>;

    /// Acoustic features of `row`.
    fn features(&self, row: Row) -> TrackFeatures;

    /// `row`'s energy ranked among every track's, in [0, 1] (see [`percentile_ranks`]).
    /// Computed on first use: only the motion–energy term asks.
    fn energy_rank(&self, row: Row) -> f64;
}

/// The energy ranks of `len` tracks, for [`TrackSource::energy_rank`].
pub(crate) fn energy_ranks(len: u64, energy: impl Fn(Row) -> f64) -> Vec<f32> {
    let values: Vec<f64> = (0..len).map(energy).collect();
    percentile_ranks(&values)
        .into_iter()
        .map(|r| r as f32)
        .collect()
}

/// One track for a [`TrackTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub audio_emb: Option<Vec<f32>>,
    pub text_emb: Option<Vec<f32>>,
    pub features: TrackFeatures,
}

/// Tracks held in memory, with the norms of their raw embeddings cached.
#[derive(Debug, Clone, Default)]
pub struct TrackTable {
    tracks: Vec<Track>,
    audio_norms: Vec<f64>,
    text_norms: Vec<f64>,
    dims: EmbeddingDims,
    energy_ranks: std::sync::OnceLock<Vec<f32>>,
}

impl TrackTable {
    /// Checks that every embedding of a space has the same dimension and is finite, and that
    /// features are finite.
    pub fn new(tracks: Vec<Track>) -> Result<Self, QueryError> {
        let mut dims = EmbeddingDims::default();
        for (i, t) in tracks.iter().enumerate() {
            check_vector(i, "audio_emb", t.audio_emb.as_deref(), &mut dims.audio)?;
            check_vector(i, "text_emb", t.text_emb.as_deref(), &mut dims.text)?;
            let f = &t.features;
            let finite = [f.bpm, f.energy, f.spectral_centroid, f.duration]
                .iter()
                .chain(f.mfcc.iter())
                .all(|x| x.is_finite());
            if !finite {
                return Err(QueryError::InvalidArgument(format!(
                    "track row {i}: a feature is not finite"
                )));
            }
        }
        let norms = |get: fn(&Track) -> Option<&Vec<f32>>| {
            tracks
                .iter()
                .map(|t| get(t).map_or(0.0, |v| norm(v)))
                .collect::<Vec<_>>()
        };
        Ok(TrackTable {
            audio_norms: norms(|t| t.audio_emb.as_ref()),
            text_norms: norms(|t| t.text_emb.as_ref()),
            tracks,
            dims,
            energy_ranks: std::sync::OnceLock::new(),
        })
    }

    /// The tracks, in row order.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }
}

fn check_vector(
    row: usize,
    field: &str,
    v: Option<&[f32]>,
    dim: &mut Option<usize>,
) -> Result<(), QueryError> {
    let Some(v) = v else { return Ok(()) };
    match *dim {
        Some(d) if d != v.len() => {
            return Err(QueryError::DimensionMismatch {
                what: format!("track row {row} {field}"),
                expected: d,
                got: v.len(),
            });
        }
        _ => *dim = Some(v.len()),
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(QueryError::InvalidArgument(format!(
            "track row {row}: {field} is not finite"
        )));
    }
    Ok(())
}

impl TrackSource for TrackTable {
    fn len(&self) -> u64 {
        self.tracks.len() as u64
    }

    fn dims(&self) -> EmbeddingDims {
        self.dims
    }

    fn audio(&self, row: Row) -> Option<TrackVector<'_>> {
        let i = row as usize;
        let v = self.tracks.get(i)?.audio_emb.as_deref()?;
        Some(TrackVector {
            values: v,
            values_norm: self.audio_norms[i],
            raw_norm: self.audio_norms[i],
        })
    }

    fn text(&self, row: Row) -> Option<TrackVector<'_>> {
        let i = row as usize;
        let v = self.tracks.get(i)?.text_emb.as_deref()?;
        Some(TrackVector {
            values: v,
            values_norm: self.text_norms[i],
            raw_norm: self.text_norms[i],
        })
    }

    fn features(&self, row: Row) -> TrackFeatures {
        self.tracks[row as usize].features
    }

    fn energy_rank(&self, row: Row) -> f64 {
        let ranks = self
            .energy_ranks
            .get_or_init(|| energy_ranks(self.len(), |r| self.tracks[r as usize].features.energy));
        f64::from(ranks[row as usize])
    }
}
