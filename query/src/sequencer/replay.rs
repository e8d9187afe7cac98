//! Replaying a fixed action list: evaluating a saved plan, and the conformance tests.

use super::Sequencer;
use crate::error::QueryError;
use crate::objective::{Action, Episode};

/// Plays `actions[t]` at segment `t`, masked or not (a masked CONTINUE is penalised and ends
/// the episode, as in the reference).
#[derive(Debug, Clone)]
pub struct Replay {
    actions: Vec<Action>,
}

impl Replay {
    pub fn new(actions: Vec<Action>) -> Self {
        Replay { actions }
    }
}

impl Sequencer for Replay {
    fn name(&self) -> &str {
        "replay"
    }

    fn choose(&mut self, episode: &Episode<'_>) -> Result<Action, QueryError> {
        self.actions.get(episode.t()).copied().ok_or_else(|| {
            QueryError::InvalidArgument(format!(
                "the plan for video `{}` has {} actions, the video {} segments",
                episode.video().id,
                self.actions.len(),
                episode.video().segments.len()
            ))
        })
    }
}
