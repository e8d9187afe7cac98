//! The policy's observation at one segment: a context vector, K candidate slots, the CONTINUE
//! row and the action mask (layout in [`ObsDims`] and the `*_NAMES` tables).
//!
//! Candidate rows come from a [`CandidateProvider`] (exact mode: every track; scalable mode: an
//! ANN index's top rows) and a [`RowFilter`]. Each candidate is scored once with
//! [`StepEvaluator::evaluate`](crate::objective::StepEvaluator::evaluate), which gives the exact terms the objective will apply, and the
//! K best by immediate step reward (ties: lower row first) fill the slots in that order. So
//! the slot order is deterministic and the network, shared across slots, never sees row
//! numbers: it works the same for any library size.

use serde::{Deserialize, Serialize};

use crate::error::QueryError;
use crate::objective::{Action, Episode, Row, StepReport, TrackSource, TrackVector};
use crate::sequencer::{AllRows, AllTracks, ArtistCap, CandidateProvider, RowFilter, StepRerank};

/// Version of the feature layout below; stored in checkpoints and ONNX metadata, so a policy
/// trained on another layout is refused instead of silently misread.
pub const FEATURE_VERSION: u32 = 1;

/// Features of one candidate (a slot) and of the CONTINUE row, in order.
pub const SLOT_FEATURE_NAMES: [&str; 20] = [
    "step_reward",
    "alignment_reward",
    "va_audio_similarity",
    "va_audio_ref_similarity",
    "va_text_similarity",
    "va_text_ref_similarity",
    "aa_audio_similarity",
    "smoothness_reward",
    "aa_bpm_diff",
    "aa_spectral_diff",
    "aa_mfcc_diff",
    "same_track_penalty",
    "earlier_new_picks_over_2",
    "is_playing_track",
    "lasts_this_segment",
    "segments_left_after_over_4",
    "terminal_switch_and_theme_reward",
    "theme_cosine_if_last",
    "is_new_pick",
    "present",
];

/// Number of features per slot (and of the CONTINUE row).
pub const SLOT_FEATURES: usize = SLOT_FEATURE_NAMES.len();

/// Scalars at the end of the context vector, after the three embeddings.
pub const CONTEXT_SCALAR_NAMES: [&str; 13] = [
    "switch_ratio",
    "switches_minus_budget_over_t",
    "switches_wanted_per_segment_left",
    "position",
    "fraction_left",
    "segments_left_over_20",
    "playing_segments_left_over_4",
    "continue_valid",
    "first_segment",
    "last_segment",
    "vv_audio_similarity",
    "smoothness_gate",
    "segment_seconds_over_10",
];

/// Number of context scalars.
pub const CONTEXT_SCALARS: usize = CONTEXT_SCALAR_NAMES.len();

/// Ratios of seconds to segment durations are clipped here (a 4-minute track over 5 s
/// segments would otherwise be a feature of 48).
const MAX_SEGMENTS_AHEAD: f64 = 8.0;

/// What the observation looks like: the network's input sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObsDims {
    /// Audio embedding dimension (0: the tracks have no audio space).
    pub audio: usize,
    /// Text embedding dimension (0: no text space).
    pub text: usize,
    /// Candidate slots K.
    pub slots: usize,
}

impl ObsDims {
    /// Context length: segment audio, segment text, previous track's audio, scalars.
    pub fn context(&self) -> usize {
        2 * self.audio + self.text + CONTEXT_SCALARS
    }

    /// Actions: K slots, then CONTINUE.
    pub fn actions(&self) -> usize {
        self.slots + 1
    }

    /// Index of CONTINUE in the logits and the mask.
    pub fn continue_index(&self) -> usize {
        self.slots
    }
}

/// Settings of the observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObsConfig {
    /// Candidate slots K.
    pub slots: usize,
    /// The request wants whole segments: CONTINUE only when the playing track's remaining
    /// length covers the whole segment (on top of the objective's mask), and no new track
    /// shorter than its first segment.
    pub whole_segments: bool,
}

impl Default for ObsConfig {
    fn default() -> Self {
        ObsConfig {
            slots: 16,
            whole_segments: false,
        }
    }
}

/// One observation, in buffers reused from step to step.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// `[context]`.
    pub context: Vec<f32>,
    /// `[slots × SLOT_FEATURES]`, row-major; empty slots are zeros.
    pub slots: Vec<f32>,
    /// `[SLOT_FEATURES]`: the CONTINUE row (zeros when CONTINUE is masked).
    pub continue_features: Vec<f32>,
    /// `[slots + 1]`: 1 = valid, 0 = masked; CONTINUE last.
    pub mask: Vec<f32>,
    /// The track row in each slot (`None`: empty).
    pub rows: Vec<Option<Row>>,
}

impl Observation {
    /// An all-zero observation of the given size.
    pub fn zeros(dims: ObsDims) -> Self {
        Observation {
            context: vec![0.0; dims.context()],
            slots: vec![0.0; dims.slots * SLOT_FEATURES],
            continue_features: vec![0.0; SLOT_FEATURES],
            mask: vec![0.0; dims.actions()],
            rows: vec![None; dims.slots],
        }
    }

    /// Whether action index `i` (slot, or `slots` for CONTINUE) is valid.
    pub fn valid(&self, i: usize) -> bool {
        self.mask.get(i).is_some_and(|m| *m > 0.5)
    }

    /// The objective's action for a valid action index.
    pub fn action(&self, i: usize) -> Option<Action> {
        if !self.valid(i) {
            return None;
        }
        if i == self.rows.len() {
            Some(Action::Continue)
        } else {
            self.rows[i].map(Action::Track)
        }
    }

    /// The action an index chosen by a policy stands for, checked against the mask and the
    /// objective once more: `None` (nothing valid) is [`QueryError::NoCandidates`], a choice the
    /// objective forbids is a [`QueryError::Policy`] error.
    pub fn chosen_action(&self, i: Option<usize>, ep: &Episode<'_>) -> Result<Action, QueryError> {
        let a = i
            .and_then(|i| self.action(i))
            .ok_or_else(|| QueryError::NoCandidates {
                video: ep.video().id.clone(),
                segment: ep.t(),
            })?;
        if !ep.action_valid(a) {
            return Err(QueryError::Policy(format!(
                "the policy chose {a:?}, which the objective forbids at segment {}",
                ep.t()
            )));
        }
        Ok(a)
    }
}

/// Builds observations: candidate rows, slot order, features and mask.
pub struct ObservationBuilder<'p> {
    config: ObsConfig,
    dims: ObsDims,
    provider: Box<dyn CandidateProvider + 'p>,
    filter: Box<dyn RowFilter + 'p>,
    artist_cap: Option<ArtistCap>,
    step_rerank: Option<StepRerank>,
    rows: Vec<Row>,
    scored: Vec<(StepReport, Row)>,
}

impl std::fmt::Debug for ObservationBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservationBuilder")
            .field("config", &self.config)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

impl<'p> ObservationBuilder<'p> {
    /// Exact mode (every track a candidate), unfiltered.
    pub fn exact(tracks: &dyn TrackSource, config: ObsConfig) -> Result<Self, QueryError> {
        Self::new(tracks, config, Box::new(AllTracks), Box::new(AllRows))
    }

    /// New tracks only while their artist has fewer than the cap's tracks in the episode.
    pub fn with_artist_cap(mut self, cap: ArtistCap) -> Self {
        self.artist_cap = Some(cap);
        self
    }

    /// At each step, only the new tracks `rerank` keeps go into the slots (the
    /// diversity/coherence knob).
    pub fn with_step_rerank(mut self, rerank: StepRerank) -> Self {
        self.step_rerank = Some(rerank);
        self
    }

    /// Candidates from `provider`, only rows `filter` allows.
    pub fn new(
        tracks: &dyn TrackSource,
        config: ObsConfig,
        provider: Box<dyn CandidateProvider + 'p>,
        filter: Box<dyn RowFilter + 'p>,
    ) -> Result<Self, QueryError> {
        if config.slots == 0 {
            return Err(QueryError::InvalidArgument(
                "the policy needs at least one candidate slot".into(),
            ));
        }
        let d = tracks.dims();
        Ok(ObservationBuilder {
            config,
            dims: ObsDims {
                audio: d.audio.unwrap_or(0),
                text: d.text.unwrap_or(0),
                slots: config.slots,
            },
            provider,
            filter,
            artist_cap: None,
            step_rerank: None,
            rows: Vec::new(),
            scored: Vec::new(),
        })
    }

    pub fn dims(&self) -> ObsDims {
        self.dims
    }

    pub fn config(&self) -> ObsConfig {
        self.config
    }

    /// Fills `obs` for the episode's next segment. Fails when the episode is over, a
    /// candidate row is out of range, or no action is valid (every slot empty and CONTINUE
    /// masked).
    pub fn build(&mut self, ep: &Episode<'_>, obs: &mut Observation) -> Result<(), QueryError> {
        let dims = self.dims;
        if obs.context.len() != dims.context() || obs.rows.len() != dims.slots {
            *obs = Observation::zeros(dims);
        }
        let eval = ep.evaluator()?;
        let tracks = ep.objective().tracks();
        let n = tracks.len();

        // 1. Candidates: provider rows, deduplicated, filtered, scored, best K.
        self.rows.clear();
        self.provider.candidates(ep, &mut self.rows)?;
        if let Some(&bad) = self.rows.iter().find(|&&r| r >= n) {
            return Err(QueryError::RowOutOfRange { row: bad, rows: n });
        }
        self.rows.sort_unstable();
        self.rows.dedup();
        self.scored.clear();
        // Under the whole-segment rule a new track must also last through its first segment
        // (as for the other sequencers).
        let min_seconds = if self.config.whole_segments {
            ep.next_segment_seconds().unwrap_or(0.0)
        } else {
            0.0
        };
        let capped = self.artist_cap.as_ref().map(|c| c.at(ep.state()));
        let filter = &self.filter;
        self.rows.retain(|&r| {
            let long_enough = min_seconds <= 0.0 || tracks.features(r).duration >= min_seconds;
            let under_cap = capped.as_ref().is_none_or(|c| c.allows(r));
            long_enough && under_cap && filter.allows(r)
        });
        if let Some(rerank) = &self.step_rerank {
            rerank.retain(ep, &mut self.rows)?;
        }
        for &r in &self.rows {
            self.scored.push((eval.evaluate(Action::Track(r))?, r));
        }
        let by_reward = |a: &(StepReport, Row), b: &(StepReport, Row)| {
            b.0.reward.total_cmp(&a.0.reward).then(a.1.cmp(&b.1))
        };
        let k = dims.slots;
        if self.scored.len() > k {
            self.scored.select_nth_unstable_by(k - 1, by_reward);
            self.scored.truncate(k);
        }
        self.scored.sort_unstable_by(by_reward);

        // 2. Slots and CONTINUE.
        let theme_at = ep.state.theme.step();
        let theme = |v: Option<TrackVector<'_>>| ep.state.theme.mean_cosine_with(theme_at, v);
        let next_duration = ep
            .segments
            .get(ep.t() + 1)
            .map_or(ep.segments[ep.t()].duration, |s| s.duration);
        let slot_rows = obs.slots.chunks_exact_mut(SLOT_FEATURES);
        for (i, out) in slot_rows.enumerate() {
            obs.mask[i] = 0.0;
            obs.rows[i] = None;
            out.fill(0.0);
            if let Some((report, row)) = self.scored.get(i) {
                let audio = tracks.audio(*row);
                let remaining =
                    tracks.features(*row).duration - report.transition.track_offset_after;
                write_row(
                    ep,
                    report,
                    *row,
                    theme(audio),
                    remaining,
                    next_duration,
                    out,
                );
                obs.mask[i] = 1.0;
                obs.rows[i] = Some(*row);
            }
        }
        let c = dims.continue_index();
        obs.mask[c] = 0.0;
        obs.continue_features.fill(0.0);
        let playing_left = playing_remaining(ep);
        if let Some(p) = ep.state().playing()
            && ep.continue_valid()
            && self.filter.allows(p)
            && (!self.config.whole_segments || playing_left >= ep.segments[ep.t()].duration)
        {
            let report = eval.evaluate(Action::Continue)?;
            let remaining = tracks.features(p).duration - report.transition.track_offset_after;
            let th = theme(tracks.audio(p));
            write_row(
                ep,
                &report,
                p,
                th,
                remaining,
                next_duration,
                &mut obs.continue_features,
            );
            obs.mask[c] = 1.0;
        }
        if obs.mask.iter().all(|m| *m == 0.0) {
            return Err(QueryError::NoCandidates {
                video: ep.video().id.clone(),
                segment: ep.t(),
            });
        }

        // 3. Context.
        write_context(ep, dims, playing_left, obs.mask[c] > 0.5, &mut obs.context);
        Ok(())
    }
}

/// Seconds of the playing track not yet played (0 when nothing plays or it has ended).
fn playing_remaining(ep: &Episode<'_>) -> f64 {
    match ep.state().playing() {
        Some(p) if !ep.state().playing_ended() => {
            (ep.objective().tracks().features(p).duration - ep.state().track_offset()).max(0.0)
        }
        _ => 0.0,
    }
}

/// One slot's (or CONTINUE's) features from the objective's exact report of the action.
fn write_row(
    ep: &Episode<'_>,
    r: &StepReport,
    row: Row,
    theme_if_last: f64,
    remaining_after: f64,
    next_duration: f64,
    out: &mut [f32],
) {
    let t = &r.terms;
    // At the first segment the smoothness terms hold the reference's placeholders (1), which
    // the reward ignores; the policy sees 0 there.
    let has_prev = ep.state().playing().is_some();
    let prev = |x: f64| if has_prev { x } else { 0.0 };
    let ahead = (remaining_after.max(0.0) / next_duration).min(MAX_SEGMENTS_AHEAD);
    let values = [
        r.reward,
        t.alignment_reward,
        t.va_audio_similarity,
        t.va_audio_ref_similarity,
        t.va_text_similarity,
        t.va_text_ref_similarity,
        prev(t.aa_audio_similarity),
        prev(t.smoothness_reward),
        t.aa_bpm_diff,
        t.aa_spectral_diff,
        t.aa_mfcc_diff,
        t.same_track_penalty,
        ep.state().new_picks(row) as f64 / 2.0,
        f64::from(u8::from(ep.state().playing() == Some(row))),
        f64::from(u8::from(!r.transition.track_ended)),
        ahead / 4.0,
        t.switch_reward + t.theme_reward,
        theme_if_last,
        f64::from(u8::from(matches!(r.action, Action::Track(_)))),
        1.0,
    ];
    for (o, v) in out.iter_mut().zip(values) {
        *o = v as f32;
    }
}

/// Copies `v / |v|` into `out` (zeros when absent or zero).
fn unit(v: Option<&[f32]>, out: &mut [f32]) {
    out.fill(0.0);
    let Some(v) = v.filter(|v| v.len() == out.len()) else {
        return;
    };
    let n = crate::objective::norm(v);
    if n > 0.0 {
        for (o, x) in out.iter_mut().zip(v) {
            *o = (*x as f64 / n) as f32;
        }
    }
}

fn write_context(
    ep: &Episode<'_>,
    dims: ObsDims,
    playing_left: f64,
    continue_valid: bool,
    out: &mut [f32],
) {
    let t = ep.t();
    let seg = &ep.video().segments[t];
    let prepared = &ep.segments[t];
    let (a, rest) = out.split_at_mut(dims.audio);
    let (x, rest) = rest.split_at_mut(dims.text);
    let (prev, scalars) = rest.split_at_mut(dims.audio);
    unit(seg.audio_emb.as_deref(), a);
    unit(seg.text_emb.as_deref(), x);
    let tracks = ep.objective().tracks();
    match ep.state().playing().and_then(|p| tracks.audio(p)) {
        Some(v) => unit(Some(v.values), prev),
        None => prev.fill(0.0),
    }
    let total = ep.segments.len() as f64;
    let left = (ep.segments.len() - t) as f64;
    let switches = ep.state().switch_count() as f64;
    let budget = ep.budget() as f64;
    let vv = if t == 0 {
        0.0
    } else {
        prepared.vv_audio as f64
    };
    let values = [
        switches / total,
        (switches - budget) / total,
        ((budget - switches) / left).clamp(-2.0, 2.0),
        t as f64 / total,
        left / total,
        left.min(20.0) / 20.0,
        (playing_left / prepared.duration).min(MAX_SEGMENTS_AHEAD) / 4.0,
        f64::from(u8::from(continue_valid)),
        f64::from(u8::from(t == 0)),
        f64::from(u8::from(t + 1 == ep.segments.len())),
        vv,
        if t == 0 {
            0.0
        } else {
            (-5.0 * (1.0 - vv)).exp()
        },
        prepared.duration / 10.0,
    ];
    for (o, v) in scalars.iter_mut().zip(values) {
        *o = v as f32;
    }
}
