//! The training loop around [`Trainer`]: periodic checkpoints, the CSV log, and a callback per
//! update (the command line draws its progress bar and, at the end, the learning curve from it).

use std::path::PathBuf;

use crate::checkpoint;
use crate::error::TrainError;
use crate::log::write_csv;
use crate::ppo::{Trainer, UpdateStats};

/// Where a run saves.
#[derive(Debug, Clone, Default)]
pub struct TrainOutputs {
    /// Checkpoint file, written every `checkpoint_every` updates and at the end.
    pub checkpoint: Option<PathBuf>,
    /// Updates between checkpoints (0: only at the end).
    pub checkpoint_every: u64,
    /// CSV training log, rewritten after every update.
    pub log: Option<PathBuf>,
}

/// Called after every update with its numbers and the run's target step count.
pub type OnUpdate<'a> = &'a mut dyn FnMut(&UpdateStats, u64);

/// Trains until the run has taken at least `total_steps` environment steps (counting the
/// steps of earlier sessions of a resumed run). Returns the updates made in this call.
pub fn train(
    trainer: &mut Trainer<'_>,
    total_steps: u64,
    out: &TrainOutputs,
    on_update: OnUpdate<'_>,
) -> Result<Vec<UpdateStats>, TrainError> {
    let mut made = Vec::new();
    while trainer.env_steps() < total_steps {
        let s = trainer.update()?;
        if let Some(log) = &out.log {
            write_csv(log, &trainer.state().history)?;
        }
        if let Some(ck) = &out.checkpoint
            && out.checkpoint_every > 0
            && s.update.is_multiple_of(out.checkpoint_every)
        {
            checkpoint::save(&trainer.snapshot(), ck)?;
        }
        on_update(&s, total_steps);
        made.push(s);
    }
    if let Some(ck) = &out.checkpoint {
        checkpoint::save(&trainer.snapshot(), ck)?;
    }
    if let Some(log) = &out.log {
        write_csv(log, &trainer.state().history)?;
    }
    Ok(made)
}
