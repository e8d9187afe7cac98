//! The reward of one step, as the reference's `DiscreteEnv.step` computes it.

use super::Objective;
use super::config::Mode;
use super::cosine::{cosine_f64, cosine_with_norms};
use super::episode::{Action, Episode, PreparedSegment, StepReport, Transition};
use super::terms::StepTerms;
use super::theme::ThemeStep;
use super::tracks::{Row, TrackVector};
use crate::error::QueryError;

/// The reference's penalty for a masked CONTINUE.
const ILLEGAL_PENALTY: f64 = -5.0;
/// Per repetition of a track as a NEW action (and once more if it is the track just played).
const REPEAT_PENALTY: f64 = -1.0;
/// Row a masked CONTINUE resolves to ("arbitrary index" in the reference).
const ILLEGAL_ROW: Row = 0;

/// Scores candidate actions at an episode's next segment. Everything that does not depend on
/// the candidate is computed once, here.
#[derive(Debug)]
pub struct StepEvaluator<'e, 'a> {
    episode: &'e Episode<'a>,
    segment: PreparedSegment<'a>,
    last_track: Option<Row>,
    terminal_segment: bool,
    theme: ThemeStep,
}

/// A segment or reference vector with its norm.
type Query<'v> = Option<(&'v [f32], f64)>;

fn cos(q: Query<'_>, track: Option<TrackVector<'_>>) -> f32 {
    match (q, track) {
        (Some((q, qn)), Some(m)) if q.len() == m.values.len() => {
            cosine_with_norms(q, qn, qn, m.values, m.values_norm, m.raw_norm)
        }
        _ => 0.0,
    }
}

fn cos_tracks(a: Option<TrackVector<'_>>, b: Option<TrackVector<'_>>) -> f32 {
    match (a, b) {
        (Some(a), Some(b)) if a.values.len() == b.values.len() => cosine_with_norms(
            a.values,
            a.values_norm,
            a.raw_norm,
            b.values,
            b.values_norm,
            b.raw_norm,
        ),
        _ => 0.0,
    }
}

impl<'e, 'a> StepEvaluator<'e, 'a> {
    pub(crate) fn new(episode: &'e Episode<'a>) -> Self {
        let t = episode.state.t;
        StepEvaluator {
            episode,
            segment: episode.segments[t],
            last_track: episode.state.playing,
            terminal_segment: t + 1 >= episode.segments.len(),
            theme: episode.state.theme.step(),
        }
    }

    /// Index of the segment being scored.
    pub fn t(&self) -> usize {
        self.episode.state.t
    }

    /// The report of `action` at this segment. Fails only for a row beyond the track source.
    pub fn evaluate(&self, action: Action) -> Result<StepReport, QueryError> {
        let ep = self.episode;
        let obj: &Objective<'a> = &ep.objective;
        let tracks = obj.tracks;
        let st = &ep.state;
        let w = obj.config.weights;
        let dur = self.segment.duration;

        // 1. The track heard, the playback state after the step and the penalties.
        let mut illegal_penalty = 0.0;
        let mut same_track_penalty = 0.0;
        let (cur, offset, off_after, ended_after, illegal) = match action {
            Action::Continue => match st.playing {
                Some(p) if !st.playing_ended => {
                    let off_after = st.track_offset + dur;
                    let ended = off_after >= tracks.features(p).duration;
                    (p, st.track_offset, off_after, ended, false)
                }
                // A masked CONTINUE: the reference plays row 0 for this step's terms and
                // leaves the offset and the end flag as they were.
                _ => {
                    illegal_penalty = ILLEGAL_PENALTY;
                    (ILLEGAL_ROW, 0.0, st.track_offset, st.playing_ended, true)
                }
            },
            Action::Track(a) => {
                if a >= tracks.len() {
                    return Err(QueryError::RowOutOfRange {
                        row: a,
                        rows: tracks.len(),
                    });
                }
                if Some(a) == st.playing {
                    same_track_penalty += REPEAT_PENALTY;
                }
                same_track_penalty += REPEAT_PENALTY * st.new_picks(a) as f64;
                let ended = dur >= tracks.features(a).duration;
                (a, 0.0, dur, ended, false)
            }
        };
        let is_new = matches!(action, Action::Track(_));
        let switch_count = st.switch_count + u32::from(is_new && st.playing.is_some());
        let mut reward = illegal_penalty + same_track_penalty;

        // 2. Alignment with the segment, centred by the dataset reference.
        let m_audio = tracks.audio(cur);
        let m_text = tracks.text(cur);
        let reference = obj.reference;
        let va_audio = cos(self.segment.audio, m_audio);
        let va_audio_ref = cos(
            reference.audio.as_deref().map(|r| (r, obj.ref_audio_norm)),
            m_audio,
        );
        let va_text = cos(self.segment.text, m_text);
        let va_text_ref = cos(
            reference.text.as_deref().map(|r| (r, obj.ref_text_norm)),
            m_text,
        );
        let gate = match obj.config.mode {
            Mode::Train => (-0.01 * (off_after - dur).max(0.0)).exp(),
            Mode::Test => 1.0,
        };
        // The differences of two f32 cosines stay f32 in the reference (numpy scalars).
        let alignment = gate
            * (((va_audio - va_audio_ref) as f64 + 0.2) * 3.0
                + ((va_text - va_text_ref) as f64 + 0.3) * 2.5)
            / 2.0;
        reward += w.alignment * alignment;

        let mut terms = StepTerms {
            illegal_penalty,
            same_track_penalty,
            va_audio_similarity: va_audio as f64,
            va_audio_ref_similarity: va_audio_ref as f64,
            va_text_similarity: va_text as f64,
            va_text_ref_similarity: va_text_ref as f64,
            alignment_reward: alignment,
            alignment_gating_factor: gate,
            // The reference's placeholders for a step without a previous track.
            vv_audio_similarity: 1.0,
            vv_text_similarity: 1.0,
            aa_audio_similarity: 1.0,
            aa_text_similarity: 1.0,
            semantic_smoothness_reward: 1.0,
            acoustic_smoothness_reward: 1.0,
            smoothness_gating_factor: 1.0,
            smoothness_reward: 1.0,
            ..StepTerms::default()
        };

        // 3. Smoothness against the previous step's track (which may be the same track).
        if let Some(last) = self.last_track {
            let fc = tracks.features(cur);
            let fl = tracks.features(last);
            let aa_audio = cos_tracks(m_audio, tracks.audio(last));
            let aa_text = cos_tracks(m_text, tracks.text(last));
            let bpm = -(fc.bpm - fl.bpm).abs() / 100.0;
            let energy = -(fc.energy - fl.energy).abs();
            let spectral = -(fc.spectral_centroid - fl.spectral_centroid).abs() / 2000.0;
            let mfcc = (cosine_f64(&fc.mfcc, &fl.mfcc) - 1.0) / 2.0;
            let g = (-5.0 * (1.0 - self.segment.vv_audio as f64)).exp();
            let semantic = (aa_audio as f64 + 1.0) / 2.0;
            let acoustic = (bpm + spectral + mfcc) / 3.0 + 1.0;
            let smoothness = g * (0.5 * semantic + 0.5 * acoustic);
            reward += w.smoothness * smoothness;
            terms.vv_audio_similarity = self.segment.vv_audio as f64;
            terms.vv_text_similarity = self.segment.vv_text as f64;
            terms.aa_audio_similarity = aa_audio as f64;
            terms.aa_text_similarity = aa_text as f64;
            terms.aa_bpm_diff = bpm;
            terms.aa_energy_diff = energy;
            terms.aa_spectral_diff = spectral;
            terms.aa_mfcc_diff = mfcc;
            terms.smoothness_gating_factor = g;
            terms.semantic_smoothness_reward = semantic;
            terms.acoustic_smoothness_reward = acoustic;
            terms.smoothness_reward = smoothness;
        }

        // 4. Motion against energy (ours; off at weight 0, so the reference's reward stands).
        if w.motion_energy != 0.0
            && let Some(motion) = self.segment.motion_rank
        {
            let pairing = 1.0 - (motion - tracks.energy_rank(cur)).abs();
            reward += w.motion_energy * pairing;
            terms.motion_energy_reward = pairing;
        }

        // 5. Terminal terms: switch budget and theme coherence (both already weighted).
        let terminated = illegal || self.terminal_segment;
        if terminated {
            let switch = -w.switch * (switch_count as i64 - ep.budget).abs() as f64;
            let theme = w.theme * st.theme.mean_cosine_with(self.theme, m_audio);
            reward += switch;
            reward += theme;
            terms.switch_reward = switch;
            terms.theme_reward = theme;
        }
        terms.reward = reward;

        Ok(StepReport {
            t: st.t,
            action,
            reward,
            terms,
            transition: Transition {
                track: cur,
                offset,
                track_offset_after: off_after,
                track_ended: ended_after,
                switch_count,
                is_continue: !is_new,
                illegal,
            },
            terminated,
        })
    }
}
