//! `segue eval`: every policy on every video, the per-video returns, and the CDF of episode
//! returns per policy (the RL-Soundtrack paper's Figures 3–4).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use segue_query::sequencer::Sequencer;
use segue_query::soundtrack::{PlanOptions, Planner, PolicyChoice, SoundtrackPlan};
use segue_query::video::Video;

use crate::error::{Error, Result};

/// A policy to evaluate: a built-in sequencer, or any sequencer the caller makes per video
/// (e.g. a trained policy).
pub enum EvalPolicy<'a> {
    Builtin(PolicyChoice),
    Custom {
        name: String,
        make: Box<dyn Fn() -> Result<Box<dyn Sequencer + 'a>> + 'a>,
    },
}

impl EvalPolicy<'_> {
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
    pub video_id: String,
    pub policy: String,
    pub segments: usize,
    pub episode_return: f64,
    pub switches: u32,
    pub switch_budget: i64,
    pub switch_error: u64,
    pub mean_alignment_cosine: f64,
    pub distinct_tracks: usize,
    pub ms_per_step: f64,
}

/// One policy over all videos.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    pub policy: String,
    pub videos: usize,
    pub mean_return: f64,
    pub median_return: f64,
    pub mean_alignment_cosine: f64,
    pub mean_switch_error: f64,
    pub ms_per_step: f64,
}

/// Everything `segue eval` measured.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub rows: Vec<EvalRow>,
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
        for (i, video) in videos.iter().enumerate() {
            let plan = match policy {
                EvalPolicy::Builtin(p) => {
                    let o = PlanOptions {
                        policy: p.clone(),
                        ..opts.clone()
                    };
                    planner.plan_allowed(video, &o, allowed.as_ref())?
                }
                EvalPolicy::Custom { make, .. } => {
                    let mut seq = make()?;
                    planner.plan_with(video, opts, seq.as_mut())?
                }
            };
            rows.push(row(&plan, &name));
            progress(&name, i + 1);
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
    PolicySummary {
        policy: policy.to_string(),
        videos: mine.len(),
        mean_return: mean(|r| r.episode_return),
        median_return: median,
        mean_alignment_cosine: mean(|r| r.mean_alignment_cosine),
        mean_switch_error: mean(|r| r.switch_error as f64),
        ms_per_step: ms / steps.max(1.0),
    }
}

impl EvalReport {
    /// Writes `returns.csv` (one row per video and policy), `summary.json`, and the CDF of
    /// returns as `returns-cdf.svg` and `returns-cdf.png` into `dir`. Returns the paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            path: dir.into(),
            source: e,
        })?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        for r in &self.rows {
            csv.serialize(r)
                .map_err(|e| Error::Invalid(format!("returns.csv: {e}")))?;
        }
        let csv = csv
            .into_inner()
            .map_err(|e| Error::Invalid(format!("returns.csv: {e}")))?;
        let csv_path = dir.join("returns.csv");
        segue_index::atomic::atomic_write(&csv_path, &csv)?;
        let json_path = dir.join("summary.json");
        let json = serde_json::to_vec_pretty(&self.summaries)
            .map_err(|e| Error::Invalid(format!("summary.json: {e}")))?;
        segue_index::atomic::atomic_write(&json_path, &json)?;
        let series: Vec<(String, Vec<f64>)> = self
            .summaries
            .iter()
            .map(|s| {
                let v = self
                    .rows
                    .iter()
                    .filter(|r| r.policy == s.policy)
                    .map(|r| r.episode_return)
                    .collect();
                (s.policy.clone(), v)
            })
            .collect();
        let svg = dir.join("returns-cdf.svg");
        let png = dir.join("returns-cdf.png");
        crate::plot::cdf_plot(
            &series,
            "CDF of episode returns",
            "episode return",
            &svg,
            &png,
        )?;
        Ok(vec![csv_path, json_path, svg, png])
    }

    /// A readable table of the summaries.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Wide enough for `policy:<file stem>` names.
        let w = self
            .summaries
            .iter()
            .map(|s| s.policy.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        writeln!(
            out,
            "{:<w$} {:>6} {:>12} {:>12} {:>10} {:>10} {:>10}",
            "policy", "videos", "mean return", "median", "align cos", "switch err", "ms/step"
        )
        .ok();
        for s in &self.summaries {
            writeln!(
                out,
                "{:<w$} {:>6} {:>12.3} {:>12.3} {:>10.3} {:>10.2} {:>10.3}",
                s.policy,
                s.videos,
                s.mean_return,
                s.median_return,
                s.mean_alignment_cosine,
                s.mean_switch_error,
                s.ms_per_step
            )
            .ok();
        }
        out
    }
}
