//! What the soundtrack benchmarks share: fitting a library once, planning a set of videos with
//! one set of options, and the per-step time and return of the plans.

use std::path::Path;

use anyhow::Context;
use segue::Library;
use segue::soundtrack::{PlanOptions, Planner, SoundtrackPlan, Video};

/// Fits the library on `videos` unless it is fitted already (a new version), so that budgets
/// and references apply.
pub fn ensure_fit(lib: &Path, videos: &Path) -> anyhow::Result<()> {
    let l = Library::open(lib)?;
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
