//! The RL-Soundtrack objective (Lai et al.; the paper's sections 3–4), reproducing the public
//! reference environment (`rl_soundtrack/envs/discrete.py` at commit f5be4594) step for step.
//! `/work/shared/peer/README.md` states the formula; the golden tests replay the reference's
//! recorded episodes against this module.
//!
//! An episode walks a video's segments. At each segment the action is a track row (play it
//! from its start) or [`Action::Continue`] (keep playing the current track). The reward of a
//! step is
//!
//! ```text
//! illegal_penalty + same_track_penalty + w_alignment · alignment
//!   + [t ≥ 1] w_smoothness · smoothness + [terminal] (switch_reward + theme_reward)
//!   + w_motion_energy · motion_energy
//! ```
//!
//! with the terms documented on [`StepTerms`]. CONTINUE is masked at the first segment and once
//! the playing track has run out; a masked CONTINUE, if taken anyway, costs −5, resolves to
//! row 0 and ends the episode (as in the reference).
//!
//! Numerics follow the reference: every cosine is an f32 value; everything after it is f64.
//!
//! Track data comes through [`TrackSource`], row by row, so a step can be evaluated for any
//! subset of candidate rows of a library of any size ([`StepEvaluator`]).

mod budget;
mod config;
mod cosine;
mod episode;
mod ranks;
mod reference;
mod step;
mod terms;
mod theme;
mod tracks;

#[cfg(test)]
mod tests;

pub use budget::{BinChoice, BudgetBin, SwitchBudgetModel, visual_variability};
pub use config::{Mode, ObjectiveConfig, Weights};
pub use cosine::{cosine, dot, norm};
pub use episode::{Action, Episode, EpisodeOutcome, EpisodeState, StepReport, Transition};
pub use ranks::{percentile_ranks, spearman};
pub use reference::ReferenceEmbeddings;
pub use step::StepEvaluator;
pub use terms::{StepTerms, Term};
pub(crate) use tracks::energy_ranks;
pub use tracks::{MFCC_LEN, Row, Track, TrackFeatures, TrackSource, TrackTable, TrackVector};

use crate::error::QueryError;
use crate::video::Video;

/// The reward model: tracks, reference embeddings and settings. Cheap to copy; start one
/// [`Episode`] per video from it.
#[derive(Clone, Copy)]
pub struct Objective<'a> {
    tracks: &'a dyn TrackSource,
    reference: &'a ReferenceEmbeddings,
    config: ObjectiveConfig,
    ref_audio_norm: f64,
    ref_text_norm: f64,
}

impl std::fmt::Debug for Objective<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objective")
            .field("tracks", &self.tracks.len())
            .field("dims", &self.tracks.dims())
            .field("config", &self.config)
            .finish()
    }
}

impl<'a> Objective<'a> {
    /// Checks the settings, that the source has at least one track (row 0 is what a masked
    /// CONTINUE resolves to) and that the references' dimensions match the tracks'.
    pub fn new(
        tracks: &'a dyn TrackSource,
        reference: &'a ReferenceEmbeddings,
        config: ObjectiveConfig,
    ) -> Result<Self, QueryError> {
        config.validate()?;
        if tracks.is_empty() {
            return Err(QueryError::InvalidArgument(
                "the track source has no tracks".into(),
            ));
        }
        let dims = tracks.dims();
        for (what, r, d) in [
            ("audio reference embedding", &reference.audio, dims.audio),
            ("text reference embedding", &reference.text, dims.text),
        ] {
            if let (Some(r), Some(d)) = (r, d)
                && r.len() != d
            {
                return Err(QueryError::DimensionMismatch {
                    what: what.into(),
                    expected: d,
                    got: r.len(),
                });
            }
        }
        Ok(Objective {
            tracks,
            reference,
            config,
            ref_audio_norm: reference.audio.as_deref().map_or(0.0, norm),
            ref_text_norm: reference.text.as_deref().map_or(0.0, norm),
        })
    }

    pub fn tracks(&self) -> &'a dyn TrackSource {
        self.tracks
    }

    pub fn reference(&self) -> &'a ReferenceEmbeddings {
        self.reference
    }

    pub fn config(&self) -> &ObjectiveConfig {
        &self.config
    }

    /// Starts an episode over `video` with switch budget `budget` (the reference's
    /// `C_target`). The video must be valid for the tracks' embedding dimensions.
    pub fn start(&self, video: &'a Video, budget: i64) -> Result<Episode<'a>, QueryError> {
        Episode::new(*self, video, budget)
    }
}
