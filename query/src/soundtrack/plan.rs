//! A soundtrack plan: what plays at each segment, why (the reward and its terms), and totals.

use serde::{Deserialize, Serialize};

use crate::arrange::Arrangement;
use crate::objective::{EpisodeOutcome, StepTerms, spearman};
use crate::search::TrackFields;
use crate::video::Video;

/// What happens at a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlannedAction {
    /// A track starts (from its beginning).
    New,
    /// The track of the previous segment goes on.
    Continue,
}

/// One segment of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedSegment {
    pub index: usize,
    /// Segment start and end in the video, seconds.
    pub start: f64,
    pub end: f64,
    pub action: PlannedAction,
    pub track_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    /// Dense row of the track in the library version the plan was made on.
    pub row: u64,
    /// Seconds into the track at which this segment starts.
    pub offset: f64,
    /// The track's length, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_duration: Option<f32>,
    pub reward: f64,
    pub terms: StepTerms,
}

/// How long planning took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanTiming {
    /// Wall time of the whole plan (candidate search, scoring, planning), milliseconds.
    pub total_ms: f64,
    /// `total_ms / segments`.
    pub ms_per_step: f64,
}

/// A whole soundtrack for one video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoundtrackPlan {
    pub video_id: String,
    /// The sequencer that made it (`greedy-all`, `beam`, ...).
    pub policy: String,
    pub library_version: u64,
    pub segments: Vec<PlannedSegment>,
    /// The episode return: the sum of the step rewards.
    pub total_reward: f64,
    /// Mean over segments of the (unweighted) alignment reward.
    pub mean_alignment: f64,
    /// Mean over segments of the cosine between segment and track in the audio space, or in
    /// the text space when the library has no audio embeddings.
    pub mean_alignment_cosine: f64,
    /// The same per space (0 for a space the library or the video lacks).
    pub mean_audio_cosine: f64,
    pub mean_text_cosine: f64,
    /// Switches made (new tracks after the first segment) and the budget they aimed at.
    pub switches: u32,
    pub switch_budget: i64,
    /// Distinct tracks used.
    pub distinct_tracks: usize,
    /// The terminal terms (already weighted): switch budget and theme coherence.
    pub switch_reward: f64,
    pub theme_reward: f64,
    /// Spearman's rank correlation between the segments' motion and the energy of the track
    /// heard in each (segments with motion only; `None` for fewer than 3 or no variation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion_energy_spearman: Option<f64>,
    pub timing: PlanTiming,
    /// Transitions and the edit list (see [`crate::arrange`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrangement: Option<Arrangement>,
}

impl SoundtrackPlan {
    /// Builds the plan of a finished episode; `tracks` holds the id and fields of each step's
    /// track, in step order.
    pub(crate) fn from_outcome(
        video: &Video,
        outcome: &EpisodeOutcome,
        policy: &str,
        library_version: u64,
        tracks: &[(String, TrackFields)],
        timing: PlanTiming,
        audio_space: bool,
    ) -> SoundtrackPlan {
        let segments: Vec<PlannedSegment> = outcome
            .steps
            .iter()
            .zip(tracks)
            .map(|(step, (id, fields))| {
                let seg = &video.segments[step.t];
                PlannedSegment {
                    index: step.t,
                    start: seg.start,
                    end: seg.end,
                    action: if step.transition.is_continue {
                        PlannedAction::Continue
                    } else {
                        PlannedAction::New
                    },
                    track_id: id.clone(),
                    title: fields.title.clone(),
                    artist: fields.artist.clone(),
                    row: step.transition.track,
                    offset: step.transition.offset,
                    track_duration: fields.duration_s,
                    reward: step.reward,
                    terms: step.terms,
                }
            })
            .collect();
        let n = segments.len().max(1) as f64;
        let mut distinct: Vec<u64> = segments.iter().map(|s| s.row).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let last = outcome.steps.last().map(|s| s.terms).unwrap_or_default();
        let mean = |f: fn(&StepTerms) -> f64| segments.iter().map(|s| f(&s.terms)).sum::<f64>() / n;
        let mean_audio_cosine = mean(|t| t.va_audio_similarity);
        let mean_text_cosine = mean(|t| t.va_text_similarity);
        SoundtrackPlan {
            video_id: outcome.video_id.clone(),
            policy: policy.to_string(),
            library_version,
            total_reward: outcome.total_reward,
            mean_alignment: mean(|t| t.alignment_reward),
            mean_alignment_cosine: if audio_space {
                mean_audio_cosine
            } else {
                mean_text_cosine
            },
            mean_audio_cosine,
            mean_text_cosine,
            switches: outcome.switches,
            switch_budget: outcome.budget,
            distinct_tracks: distinct.len(),
            switch_reward: last.switch_reward,
            theme_reward: last.theme_reward,
            motion_energy_spearman: None,
            timing,
            segments,
            arrangement: None,
        }
    }

    /// Spearman's correlation of `video`'s segment motion with the energy (`energy(row)`) of
    /// the track heard in each segment; see [`SoundtrackPlan::motion_energy_spearman`].
    pub(crate) fn motion_energy_correlation(
        &self,
        video: &Video,
        energy: impl Fn(u64) -> f64,
    ) -> Option<f64> {
        let (motion, heard): (Vec<f64>, Vec<f64>) = self
            .segments
            .iter()
            .filter_map(|s| Some((video.segments.get(s.index)?.motion?, energy(s.row))))
            .unzip();
        spearman(&motion, &heard)
    }

    /// `|switches − budget|`.
    pub fn switch_error(&self) -> u64 {
        (i64::from(self.switches) - self.switch_budget).unsigned_abs()
    }
}
