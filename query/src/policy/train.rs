//! The training loop around [`Trainer`]: progress bar, periodic checkpoints, the CSV log and
//! the learning-curve plot.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::checkpoint;
use super::log::write_csv;
use super::plot::{PlotFiles, plot};
use super::ppo::{Trainer, UpdateStats};
use crate::error::QueryError;

/// Where a run reports and saves.
#[derive(Debug, Clone, Default)]
pub struct TrainOutputs {
    /// Draw an indicatif progress bar (environment steps, mean episode return) on stderr.
    pub progress: bool,
    /// Checkpoint file, written every `checkpoint_every` updates and at the end.
    pub checkpoint: Option<PathBuf>,
    /// Updates between checkpoints (0: only at the end).
    pub checkpoint_every: u64,
    /// CSV training log, rewritten after every update.
    pub log: Option<PathBuf>,
    /// Learning-curve plot prefix (`PREFIX.svg`, `PREFIX.png`), written at the end.
    pub plot: Option<PathBuf>,
    /// Horizontal reference lines on the plot (e.g. the random and greedy-all returns).
    pub baselines: Vec<(String, f64)>,
}

/// Trains until the run has taken at least `total_steps` environment steps (counting the
/// steps of earlier sessions of a resumed run). Returns the updates made in this call and the
/// plot files, if any.
pub fn train(
    trainer: &mut Trainer<'_>,
    total_steps: u64,
    out: &TrainOutputs,
) -> Result<(Vec<UpdateStats>, Option<PlotFiles>), QueryError> {
    let bar = if out.progress {
        ProgressBar::with_draw_target(Some(total_steps), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} steps ({per_sec}) {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_position(trainer.env_steps().min(total_steps));
    let mut made = Vec::new();
    while trainer.env_steps() < total_steps {
        let s = trainer.update()?;
        bar.set_position(s.env_steps.min(total_steps));
        let eval = s
            .eval_return
            .map(|e| format!(", held-out greedy {e:.3}"))
            .unwrap_or_default();
        bar.set_message(format!("mean return {:.3}{eval}", s.mean_return));
        if let Some(log) = &out.log {
            write_csv(log, &trainer.state().history)?;
        }
        if let Some(ck) = &out.checkpoint
            && out.checkpoint_every > 0
            && s.update.is_multiple_of(out.checkpoint_every)
        {
            checkpoint::save(&trainer.snapshot(), ck)?;
        }
        made.push(s);
    }
    bar.finish();
    if let Some(ck) = &out.checkpoint {
        checkpoint::save(&trainer.snapshot(), ck)?;
    }
    if let Some(log) = &out.log {
        write_csv(log, &trainer.state().history)?;
    }
    let files = match &out.plot {
        Some(prefix) => Some(plot(prefix, &trainer.state().history, &out.baselines)?),
        None => None,
    };
    Ok((made, files))
}
