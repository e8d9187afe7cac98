//! The random baseline: uniform over the valid actions (the reference's `RandomAgent`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Sequencer;
use super::candidates::Candidates;
use crate::error::QueryError;
use crate::hash::video_seed;
use crate::objective::{Action, Episode};
use crate::video::Video;

/// Picks uniformly among the valid candidate actions (every allowed track, and CONTINUE when
/// the mask allows it). Deterministic: each episode's generator is ChaCha8 seeded with the
/// sequencer's seed mixed with a stable hash of the video id, so a video gets the same plan
/// whatever videos run before it. The draws do not repeat the reference's numpy draws.
#[derive(Debug)]
pub struct Random<'p> {
    seed: u64,
    rng: ChaCha8Rng,
    candidates: Candidates<'p>,
    actions: Vec<Action>,
}

impl<'p> Random<'p> {
    pub fn new(seed: u64, candidates: Candidates<'p>) -> Self {
        Random {
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            candidates,
            actions: Vec::new(),
        }
    }
}

impl Sequencer for Random<'_> {
    fn name(&self) -> &str {
        "random"
    }

    fn begin(&mut self, video: &Video) {
        self.rng = ChaCha8Rng::seed_from_u64(video_seed(self.seed, &video.id));
        self.candidates.reset();
    }

    fn choose(&mut self, episode: &Episode<'_>) -> Result<Action, QueryError> {
        self.candidates.actions(episode, &mut self.actions)?;
        // `actions` is never empty: `Candidates::actions` reports that as an error.
        let i = self.rng.random_range(0..self.actions.len());
        Ok(self.actions[i])
    }
}
