//! Sequencers: per segment, a new track or CONTINUE.
//!
//! * [`Random`]: uniform over the valid actions (the reference's `RandomAgent`), seeded.
//! * [`Greedy`]: the reference's `GreedyAgent`: scores every valid action one step ahead and
//!   takes the best; `greedy-all` maximises the step reward, `greedy-aligned` the reference's
//!   `greedy/alignment_reward,same_track_penalty` objective.
//! * [`Beam`]: a lookahead planner (beam search over whole soundtracks, never worse than
//!   greedy-all on the same candidates).
//! * [`Replay`]: plays a given action list (conformance tests, evaluating a saved plan).
//!
//! Which tracks a sequencer considers comes from a [`Candidates`]: a [`CandidateProvider`]
//! (exact mode: [`AllTracks`]; scalable mode: [`AnnCandidates`], the top rows by alignment
//! from the HNSW graphs) and an optional [`RowFilter`]. A sequencer never places a track the
//! filter rejects nor breaks an [`ArtistCap`], chooses only among the tracks a [`StepRerank`]
//! keeps (the soundtrack's diversity/coherence knob), and plays CONTINUE only when the
//! reference's mask allows it (a track is playing and has not run out) — or, with [`Candidates::whole_segments`], only when the
//! track lasts through the whole next segment.

mod ann;
mod artist_cap;
mod beam;
mod candidates;
mod greedy;
mod random;
mod replay;
mod step_rerank;

pub use ann::{
    AnnCandidates, CANDIDATE_EF, MAX_CANDIDATES, QueryDirections, SpaceDirection,
    check_candidate_count, rank_jointly, search_direction,
};
pub use artist_cap::{ArtistCap, ArtistStep, NO_ARTIST};
pub use beam::{Beam, DEFAULT_BEAM_WIDTH};
pub use candidates::{AllRows, AllTracks, CandidateProvider, Candidates, RowFilter};
pub use greedy::{Greedy, GreedyObjective};
pub use random::Random;
pub use replay::Replay;
pub use step_rerank::{DEFAULT_STEP_KEEP, DEFAULT_STEP_LAMBDA, StepDiversity, StepRerank};

use crate::error::QueryError;
use crate::objective::{Action, Episode, EpisodeOutcome, Objective};
use crate::video::Video;

/// Chooses the action at each segment of an episode.
pub trait Sequencer {
    /// Short name (`random`, `greedy-all`, ...).
    fn name(&self) -> &str;

    /// Called once before each episode (a seeded sequencer reseeds from the video here, so a
    /// video's plan does not depend on the videos run before it).
    fn begin(&mut self, _video: &Video) {}

    /// The action for the episode's next segment.
    fn choose(&mut self, episode: &Episode<'_>) -> Result<Action, QueryError>;
}

/// Runs `sequencer` over every segment of `video` with switch budget `budget`.
pub fn run_episode<'a>(
    objective: &Objective<'a>,
    video: &'a Video,
    budget: i64,
    sequencer: &mut dyn Sequencer,
) -> Result<EpisodeOutcome, QueryError> {
    sequencer.begin(video);
    let mut episode = objective.start(video, budget)?;
    while !episode.is_done() {
        let action = sequencer.choose(&episode)?;
        episode.step(action)?;
    }
    Ok(episode.finish())
}

/// A baseline sequencer by name: `random` (seeded with `seed`), `greedy-all`,
/// `greedy-aligned`, or `beam` (of [`DEFAULT_BEAM_WIDTH`]).
pub fn baseline<'p>(
    name: &str,
    seed: u64,
    candidates: Candidates<'p>,
) -> Result<Box<dyn Sequencer + 'p>, QueryError> {
    match name {
        "random" => Ok(Box::new(Random::new(seed, candidates))),
        "greedy-all" => Ok(Box::new(Greedy::all(candidates))),
        "greedy-aligned" => Ok(Box::new(Greedy::aligned(candidates))),
        "beam" => Ok(Box::new(Beam::new(DEFAULT_BEAM_WIDTH, candidates)?)),
        _ => Err(QueryError::InvalidArgument(format!(
            "unknown sequencer `{name}`; expected random, greedy-all, greedy-aligned or beam"
        ))),
    }
}
