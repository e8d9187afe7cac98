//! The training log (CSV, one row per update).

use std::fmt::Write as _;
use std::path::Path;

use crate::error::TrainError;
use crate::ppo::UpdateStats;
use segue_index::atomic::atomic_write;

/// Column names of the CSV log.
pub const COLUMNS: [&str; 11] = [
    "update",
    "env_steps",
    "episodes",
    "mean_return",
    "eval_return",
    "policy_loss",
    "value_loss",
    "entropy",
    "approx_kl",
    "clip_fraction",
    "seconds",
];

/// The whole history as CSV (`eval_return` empty where not evaluated).
pub fn csv(history: &[UpdateStats]) -> String {
    let mut s = COLUMNS.join(",");
    s.push('\n');
    for h in history {
        let eval = h.eval_return.map(|e| format!("{e:.6}")).unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{},{:.6},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.3}",
            h.update,
            h.env_steps,
            h.episodes,
            h.mean_return,
            eval,
            h.policy_loss,
            h.value_loss,
            h.entropy,
            h.approx_kl,
            h.clip_fraction,
            h.seconds
        );
    }
    s
}

/// Rewrites the log at `path` from the full history (atomically: the history is in the
/// checkpoint, so a resumed run rewrites a log consistent with it).
pub fn write_csv(path: &Path, history: &[UpdateStats]) -> Result<(), TrainError> {
    Ok(atomic_write(path, csv(history).as_bytes())?)
}
