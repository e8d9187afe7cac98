//! `segue eval`: every policy on every video, the per-video returns, and the CDF of episode
//! returns per policy (the RL-Soundtrack paper's Figures 3–4).

use serde::Serialize;

use segue_query::sequencer::Sequencer;
use segue_query::soundtrack::{PlanOptions, Planner, PolicyChoice, SoundtrackPlan};
use segue_query::video::Video;

use crate::error::{Error, Result};

/// A policy to evaluate: a built-in sequencer, or any sequencer the caller makes per video
/// (e.g. a trained policy).
pub enum EvalPolicy<'a> {
    /// One of the planner's sequencers (random, greedy, beam, a trained policy file).
    Builtin(PolicyChoice),
    /// A sequencer the caller builds afresh for each video (over the candidates it chooses:
    /// the options' exclusions and artist cap are the caller's to apply).
    Custom {
        /// The name the report uses.
        name: String,
        /// Makes the sequencer for one video.
        make: Box<dyn Fn() -> Result<Box<dyn Sequencer + 'a>> + 'a>,
    },
}

impl EvalPolicy<'_> {
    /// The name the report uses (`beam`, `policy:FILE`, a custom name).
    pub fn name(&self) -> String {
        match self {
            EvalPolicy::Builtin(p) => p.name().to_string(),
            EvalPolicy::Custom { name, .. } => name.clone(),
        }
    }
}

impl std::fmt::Debug for EvalPolicy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// One video under one policy.
#[derive(Debug, Clone, Serialize)]
pub struct EvalRow {
    /// The video's id.
    pub video_id: String,
    /// The policy's name.
    pub policy: String,
    /// Segments planned.
    pub segments: usize,
    /// The objective's return of the plan.
    pub episode_return: f64,
    /// Music changes in the plan.
    pub switches: u32,
    /// The switch budget the plan was scored against.
    pub switch_budget: i64,
    /// `|switches − budget|`.
    pub switch_error: u64,
    /// Mean cosine between each segment and its track.
    pub mean_alignment_cosine: f64,
    /// Different tracks used.
    pub distinct_tracks: usize,
    /// Planning time per segment.
    pub ms_per_step: f64,
    /// Rank correlation of the segments' motion with their tracks' energy (empty when the
    /// video has no motion values).
    pub motion_energy_spearman: Option<f64>,
}

/// One policy over all videos.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    /// The policy's name.
    pub policy: String,
    /// Videos planned.
    pub videos: usize,
    /// Mean return over the videos.
    pub mean_return: f64,
    /// Median return over the videos.
    pub median_return: f64,
    /// Mean of the videos' mean alignment cosines.
    pub mean_alignment_cosine: f64,
    /// Mean `|switches − budget|`.
    pub mean_switch_error: f64,
    /// Planning time per segment over all segments.
    pub ms_per_step: f64,
    /// Mean of the videos' motion–energy rank correlations (`None`: no video had motion).
    pub mean_motion_energy_spearman: Option<f64>,
}

/// Everything `segue eval` measured.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// One row per video and policy, policies in the order given.
    pub rows: Vec<EvalRow>,
    /// One summary per policy.
    pub summaries: Vec<PolicySummary>,
}

/// Plans every video with every policy (the same options otherwise).
pub fn evaluate(
    planner: &Planner,
    videos: &[Video],
    policies: &[EvalPolicy<'_>],
    opts: &PlanOptions,
    mut progress: impl FnMut(&str, usize),
) -> Result<EvalReport> {
    if videos.is_empty() {
        return Err(Error::Invalid("no videos to evaluate".into()));
    }
    let allowed = planner.allowed_rows(opts.filter.as_deref())?;
    let mut rows = Vec::new();
    for policy in policies {
        let name = policy.name();
        match policy {
            // One batch per policy, so the options' exclusions, artist cap and no-repeat rule
            // apply to each policy's plans as they would to a user's run.
            EvalPolicy::Builtin(p) => {
                let o = PlanOptions {
                    policy: p.clone(),
                    ..opts.clone()
                };
                let mut batch = planner.batch(&o, allowed.as_ref())?;
                for (i, video) in videos.iter().enumerate() {
                    rows.push(row(&batch.plan(video)?, &name));
                    progress(&name, i + 1);
                }
            }
            EvalPolicy::Custom { make, .. } => {
                for (i, video) in videos.iter().enumerate() {
                    let mut seq = make()?;
                    rows.push(row(&planner.plan_with(video, opts, seq.as_mut())?, &name));
                    progress(&name, i + 1);
                }
            }
        }
    }
    let summaries = policies
        .iter()
        .map(|p| summarise(&p.name(), &rows))
        .collect();
    Ok(EvalReport { rows, summaries })
}

fn row(plan: &SoundtrackPlan, policy: &str) -> EvalRow {
    EvalRow {
        video_id: plan.video_id.clone(),
        policy: policy.to_string(),
        segments: plan.segments.len(),
        episode_return: plan.total_reward,
        switches: plan.switches,
        switch_budget: plan.switch_budget,
        switch_error: plan.switch_error(),
        mean_alignment_cosine: plan.mean_alignment_cosine,
        distinct_tracks: plan.distinct_tracks,
        ms_per_step: plan.timing.ms_per_step,
        motion_energy_spearman: plan.motion_energy_spearman,
    }
}

fn summarise(policy: &str, rows: &[EvalRow]) -> PolicySummary {
    let mine: Vec<&EvalRow> = rows.iter().filter(|r| r.policy == policy).collect();
    let n = mine.len().max(1) as f64;
    let mean = |f: fn(&EvalRow) -> f64| mine.iter().map(|r| f(r)).sum::<f64>() / n;
    let mut returns: Vec<f64> = mine.iter().map(|r| r.episode_return).collect();
    returns.sort_by(f64::total_cmp);
    let median = match returns.len() {
        0 => f64::NAN,
        l if l % 2 == 1 => returns[l / 2],
        l => (returns[l / 2 - 1] + returns[l / 2]) / 2.0,
    };
    // Time per step over all steps, not a mean of per-video means.
    let steps: f64 = mine.iter().map(|r| r.segments as f64).sum();
    let ms: f64 = mine.iter().map(|r| r.ms_per_step * r.segments as f64).sum();
    let correlations: Vec<f64> = mine
        .iter()
        .filter_map(|r| r.motion_energy_spearman)
        .collect();
    PolicySummary {
        mean_motion_energy_spearman: (!correlations.is_empty())
            .then(|| correlations.iter().sum::<f64>() / correlations.len() as f64),
        policy: policy.to_string(),
        videos: mine.len(),
        mean_return: mean(|r| r.episode_return),
        median_return: median,
        mean_alignment_cosine: mean(|r| r.mean_alignment_cosine),
        mean_switch_error: mean(|r| r.switch_error as f64),
        ms_per_step: ms / steps.max(1.0),
    }
}
