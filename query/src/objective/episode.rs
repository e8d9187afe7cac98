//! One video's episode: the state the reference environment keeps between steps, the masks,
//! and the record of the steps taken.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Objective;
use super::cosine::{cosine_with_norms, norm};
use super::step::StepEvaluator;
use super::terms::StepTerms;
use super::theme::ThemeSums;
use super::tracks::Row;
use crate::error::QueryError;
use crate::video::Video;

/// What to do at a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Start this track row from its beginning (a "NEW" action; picking the track already
    /// playing restarts it, counts as a switch and is penalised).
    Track(Row),
    /// Keep playing the current track.
    Continue,
}

/// What a step did to the playback state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Track heard during the segment (row 0 after a masked CONTINUE, as in the reference).
    pub track: Row,
    /// Seconds into `track` at which the segment starts.
    pub offset: f64,
    /// Seconds of `track` played once the segment is over (the reference's
    /// `current_audio_offset`; unchanged by a masked CONTINUE).
    pub track_offset_after: f64,
    /// The track has run out: CONTINUE is masked at the next segment.
    pub track_ended: bool,
    /// Switches so far (every NEW action after the first segment).
    pub switch_count: u32,
    pub is_continue: bool,
    /// The action was a CONTINUE the mask forbids.
    pub illegal: bool,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Segment index.
    pub t: usize,
    pub action: Action,
    pub reward: f64,
    pub terms: StepTerms,
    pub transition: Transition,
    /// Last segment, or a masked CONTINUE.
    pub terminated: bool,
}

/// Playback state between steps (the reference environment's attributes).
#[derive(Debug, Clone)]
pub struct EpisodeState {
    pub(crate) t: usize,
    pub(crate) playing: Option<Row>,
    pub(crate) playing_ended: bool,
    pub(crate) track_offset: f64,
    pub(crate) switch_count: u32,
    /// NEW picks per row so far (the reference counts the row in its raw action list, where a
    /// CONTINUE is recorded as CONTINUE, not as the track it continued).
    pub(crate) new_picks: HashMap<Row, u32>,
    pub(crate) theme: ThemeSums,
    pub(crate) terminated: bool,
}

impl EpisodeState {
    /// Index of the next segment.
    pub fn t(&self) -> usize {
        self.t
    }

    /// Track heard at the previous segment (`last_audio_index`).
    pub fn playing(&self) -> Option<Row> {
        self.playing
    }

    /// The previous track has run out (`last_audio_ended`).
    pub fn playing_ended(&self) -> bool {
        self.playing_ended
    }

    /// Seconds of the playing track played so far (`current_audio_offset`).
    pub fn track_offset(&self) -> f64 {
        self.track_offset
    }

    pub fn switch_count(&self) -> u32 {
        self.switch_count
    }

    /// Every row picked as a NEW action so far (each once, in no particular order).
    pub fn picked_rows(&self) -> impl Iterator<Item = Row> + '_ {
        self.new_picks.keys().copied()
    }

    /// Earlier NEW picks of `row` (each costs −1 when `row` is picked again).
    pub fn new_picks(&self, row: Row) -> u32 {
        self.new_picks.get(&row).copied().unwrap_or(0)
    }

    /// The mask of CONTINUE: a track is playing and has not run out.
    pub fn continue_valid(&self) -> bool {
        self.playing.is_some() && !self.playing_ended
    }
}

/// A segment with what every step needs precomputed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PreparedSegment<'a> {
    /// `end − start`, or 5 s if not positive (the reference's fallback; validated videos never
    /// need it).
    pub(crate) duration: f64,
    pub(crate) audio: Option<(&'a [f32], f64)>,
    pub(crate) text: Option<(&'a [f32], f64)>,
    /// Cosines with the previous segment (0 for the first).
    pub(crate) vv_audio: f32,
    pub(crate) vv_text: f32,
    /// The segment's motion ranked among the video's segments with motion, in [0, 1] (`None`
    /// without motion, or when fewer than two segments have it).
    pub(crate) motion_rank: Option<f64>,
}

/// An episode in progress over one video.
#[derive(Debug, Clone)]
pub struct Episode<'a> {
    pub(crate) objective: Objective<'a>,
    pub(crate) video: &'a Video,
    pub(crate) segments: Vec<PreparedSegment<'a>>,
    pub(crate) budget: i64,
    pub(crate) state: EpisodeState,
    steps: Vec<StepReport>,
}

fn vv(a: Option<(&[f32], f64)>, b: Option<(&[f32], f64)>) -> f32 {
    match (a, b) {
        (Some((a, na)), Some((b, nb))) => cosine_with_norms(a, na, na, b, nb, nb),
        _ => 0.0,
    }
}

impl<'a> Episode<'a> {
    pub(crate) fn new(
        objective: Objective<'a>,
        video: &'a Video,
        budget: i64,
    ) -> Result<Self, QueryError> {
        video
            .validate(objective.tracks.dims())
            .map_err(|i| QueryError::InvalidVideo(Box::new(i)))?;
        let with_norm = |v: &'a Option<Vec<f32>>| v.as_deref().map(|v| (v, norm(v)));
        let mut segments: Vec<PreparedSegment<'a>> = Vec::with_capacity(video.segments.len());
        for seg in &video.segments {
            let d = seg.duration();
            let mut p = PreparedSegment {
                duration: if d > 0.0 { d } else { 5.0 },
                audio: with_norm(&seg.audio_emb),
                text: with_norm(&seg.text_emb),
                vv_audio: 0.0,
                vv_text: 0.0,
                motion_rank: None,
            };
            if let Some(prev) = segments.last() {
                p.vv_audio = vv(p.audio, prev.audio);
                p.vv_text = vv(p.text, prev.text);
            }
            segments.push(p);
        }
        let motions: Vec<(usize, f64)> = video
            .segments
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.motion.map(|m| (i, m)))
            .collect();
        if motions.len() >= 2 {
            let values: Vec<f64> = motions.iter().map(|&(_, m)| m).collect();
            for (&(i, _), r) in motions.iter().zip(super::ranks::percentile_ranks(&values)) {
                segments[i].motion_rank = Some(r);
            }
        }
        let dim = objective.tracks.dims().audio.unwrap_or(0);
        Ok(Episode {
            objective,
            video,
            segments,
            budget,
            state: EpisodeState {
                t: 0,
                playing: None,
                playing_ended: false,
                track_offset: 0.0,
                switch_count: 0,
                new_picks: HashMap::new(),
                theme: ThemeSums::new(dim),
                terminated: false,
            },
            steps: Vec::new(),
        })
    }

    pub fn objective(&self) -> &Objective<'a> {
        &self.objective
    }

    pub fn video(&self) -> &'a Video {
        self.video
    }

    /// The switch budget (`C_target`).
    pub fn budget(&self) -> i64 {
        self.budget
    }

    pub fn state(&self) -> &EpisodeState {
        &self.state
    }

    /// Index of the next segment.
    pub fn t(&self) -> usize {
        self.state.t
    }

    /// Every segment has a step, or a masked CONTINUE ended the episode early.
    pub fn is_done(&self) -> bool {
        self.state.terminated || self.state.t >= self.segments.len()
    }

    /// The mask of CONTINUE at the next segment (every track row is always valid).
    pub fn continue_valid(&self) -> bool {
        self.state.continue_valid()
    }

    /// The playing track lasts through the whole next segment (CONTINUE would not run past
    /// its end). False when nothing is playing or the episode is over.
    pub fn continue_fits_segment(&self) -> bool {
        let (Some(row), Some(seg)) = (self.state.playing, self.segments.get(self.state.t)) else {
            return false;
        };
        self.state.track_offset + seg.duration <= self.objective.tracks.features(row).duration
    }

    /// Seconds of the next segment (`None` once the episode is over).
    pub fn next_segment_seconds(&self) -> Option<f64> {
        self.segments.get(self.state.t).map(|s| s.duration)
    }

    /// Number of segments in the video.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Whether `action` is allowed by the reference's mask (track rows must exist).
    pub fn action_valid(&self, action: Action) -> bool {
        match action {
            Action::Continue => self.continue_valid(),
            Action::Track(r) => r < self.objective.tracks.len(),
        }
    }

    /// The steps taken so far.
    pub fn steps(&self) -> &[StepReport] {
        &self.steps
    }

    /// An evaluator for the next segment: scores any number of candidate actions without
    /// changing the episode. Fails if the episode is over.
    pub fn evaluator(&self) -> Result<StepEvaluator<'_, 'a>, QueryError> {
        if self.is_done() {
            return Err(QueryError::EpisodeOver {
                video: self.video.id.clone(),
                steps: self.steps.len(),
            });
        }
        Ok(StepEvaluator::new(self))
    }

    /// The report `action` would produce at the next segment, without taking it.
    pub fn evaluate(&self, action: Action) -> Result<StepReport, QueryError> {
        self.evaluator()?.evaluate(action)
    }

    /// Takes `action` at the next segment. A masked CONTINUE is allowed, as in the reference:
    /// it is penalised and ends the episode.
    pub fn step(&mut self, action: Action) -> Result<&StepReport, QueryError> {
        let report = self.evaluate(action)?;
        let tr = report.transition;
        let s = &mut self.state;
        if let Action::Track(r) = action {
            *s.new_picks.entry(r).or_insert(0) += 1;
        }
        s.theme.add(self.objective.tracks.audio(tr.track));
        s.playing = Some(tr.track);
        s.playing_ended = tr.track_ended;
        s.track_offset = tr.track_offset_after;
        s.switch_count = tr.switch_count;
        s.terminated = report.terminated;
        s.t += 1;
        self.steps.push(report);
        Ok(self.steps.last().expect("just pushed"))
    }

    /// The finished (or abandoned) episode's summary.
    pub fn finish(self) -> EpisodeOutcome {
        let total_reward = self.steps.iter().map(|s| s.reward).sum();
        EpisodeOutcome {
            video_id: self.video.id.clone(),
            segments: self.segments.len(),
            budget: self.budget,
            switches: self.state.switch_count,
            terminated_early: self.steps.last().is_some_and(|s| s.transition.illegal),
            total_reward,
            steps: self.steps,
        }
    }
}

/// A finished episode: the return, the plan and every step's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeOutcome {
    pub video_id: String,
    /// Segments of the video (more than `steps.len()` if the episode ended early).
    pub segments: usize,
    pub budget: i64,
    /// Switches made (NEW actions after the first segment).
    pub switches: u32,
    /// A masked CONTINUE ended the episode.
    pub terminated_early: bool,
    /// Sum of the step rewards, in order (the reference's episode return).
    pub total_reward: f64,
    pub steps: Vec<StepReport>,
}

impl EpisodeOutcome {
    pub fn actions(&self) -> Vec<Action> {
        self.steps.iter().map(|s| s.action).collect()
    }

    /// The track heard at each step.
    pub fn tracks(&self) -> Vec<Row> {
        self.steps.iter().map(|s| s.transition.track).collect()
    }

    /// `switches − budget`.
    pub fn budget_gap(&self) -> i64 {
        self.switches as i64 - self.budget
    }
}
