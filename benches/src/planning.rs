//! What the soundtrack benchmarks share: fitting a library once, planning a set of videos with
//! one set of options, and the per-step time and return of the plans.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use segue::Library;
use segue::soundtrack::{PlanOptions, Planner, PolicyChoice, SoundtrackPlan, Video};

use crate::scale_videos;

/// Greedy-all and beam (the planner's defaults) on one library: `videos` generated videos of
/// 5–60 segments (seed 1, the ones the library is fitted on) and 10 of exactly 20 (seed 2).
pub struct StepRuns {
    pub planner: Planner,
    pub videos: Vec<Video>,
    /// Seconds `segue fit` took, when this run fitted the library.
    pub fit_seconds: Option<f64>,
    pub greedy: Vec<SoundtrackPlan>,
    pub beam: Vec<SoundtrackPlan>,
    /// Beam on the 20-segment videos: the time of a whole soundtrack.
    pub beam20: Vec<SoundtrackPlan>,
}

impl std::fmt::Debug for StepRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepRuns")
            .field("videos", &self.videos.len())
            .field("fit_seconds", &self.fit_seconds)
            .field("greedy_ms_per_step", &ms_per_step(&self.greedy))
            .field("beam_ms_per_step", &ms_per_step(&self.beam))
            .field("beam20", &self.beam20.len())
            .finish_non_exhaustive()
    }
}

/// Fits `lib` on its generated videos (once), then plans them with greedy-all and beam after
/// one warm-up plan, on this thread.
pub fn run_steps(lib: &Path, videos: usize) -> anyhow::Result<StepRuns> {
    let videos_path = scale_videos(lib, videos, 1, (5, 60))?;
    let fitted = segue::soundtrack::SoundtrackFit::load(&Library::open_with(
        lib,
        segue::WalkMemory::Mapped,
    )?)?
    .is_some();
    let t = Instant::now();
    ensure_fit(lib, &videos_path)?;
    let fit_seconds = (!fitted).then(|| t.elapsed().as_secs_f64());
    let twenty_path = scale_videos(lib, 10, 2, (20, 20))?;
    let planner = Planner::open(Arc::new(Library::open(lib)?))?;
    let videos = segue::soundtrack::read_videos_for(&planner, &videos_path)?;
    let twenty = segue::soundtrack::read_videos_for(&planner, &twenty_path)?;
    let opts = |policy| PlanOptions {
        policy,
        ..PlanOptions::default()
    };
    // Warm the page cache and the filter columns before timing.
    planner.plan(&videos[0], &opts(PolicyChoice::GreedyAll))?;
    let greedy = plan_all(&planner, &videos, &opts(PolicyChoice::GreedyAll))?;
    let beam = plan_all(&planner, &videos, &opts(PolicyChoice::Beam))?;
    let beam20 = plan_all(&planner, &twenty, &opts(PolicyChoice::Beam))?;
    Ok(StepRuns {
        planner,
        videos,
        fit_seconds,
        greedy,
        beam,
        beam20,
    })
}

/// Fits the library on `videos` unless it is fitted already (a new version), so that budgets
/// and references apply.
pub fn ensure_fit(lib: &Path, videos: &Path) -> anyhow::Result<()> {
    let l = Library::open_with(lib, segue::WalkMemory::Mapped)?;
    if segue::soundtrack::SoundtrackFit::load(&l)?.is_none() {
        drop(l);
        segue::soundtrack::fit(lib, videos).context("fitting")?;
    }
    Ok(())
}

/// Plans every video with `opts` (the filter evaluated once for all of them).
pub fn plan_all(
    planner: &Planner,
    videos: &[Video],
    opts: &PlanOptions,
) -> anyhow::Result<Vec<SoundtrackPlan>> {
    let allowed = planner.allowed_rows(opts.filter.as_deref())?;
    videos
        .iter()
        .map(|v| Ok(planner.plan_allowed(v, opts, allowed.as_ref())?))
        .collect()
}

/// The plans' summed reward.
pub fn total_return(plans: &[SoundtrackPlan]) -> f64 {
    plans.iter().map(|p| p.total_reward).sum()
}

/// Time per decision step over all steps of all plans.
pub fn ms_per_step(plans: &[SoundtrackPlan]) -> f64 {
    let ms: f64 = plans.iter().map(|p| p.timing.total_ms).sum();
    let steps: usize = plans.iter().map(|p| p.segments.len()).sum();
    ms / steps.max(1) as f64
}
