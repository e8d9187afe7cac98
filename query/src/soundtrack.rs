//! Soundtracks: plan a video's music segment by segment against a library.
//!
//! * [`SoundtrackFit`] — the reference embeddings and switch-budget model `segue fit` learns
//!   from videos and stores with the library (documented defaults without one).
//! * [`Planner`] — opens a library version's tracks and fit and plans videos with a chosen
//!   sequencer ([`PolicyChoice`]), exact (every track) or scalable (top candidates from the
//!   HNSW graphs), under a filter.
//! * [`ShardedPlanner`] — the same planning at a sharded catalogue's router, over tracks
//!   [`GatheredTracks`] from the shards' answers to [`Planner::candidate_hits`].
//! * [`SoundtrackPlan`] — per segment the action, track, offset, reward and terms; the totals.

mod fit;
mod gathered;
mod plan;
mod planner;
mod sharded;

pub use fit::{
    FIT_ATTACHMENT, FIT_FORMAT_VERSION, SCENE_CHANGE_COSINE, SoundtrackFit, default_budget,
};
pub use gathered::{GatheredTrack, GatheredTracks, ListedCandidates, StoredVector};
pub use plan::{PlanTiming, PlannedAction, PlannedSegment, SoundtrackPlan};
pub use planner::{DEFAULT_CANDIDATES, PlanBatch, PlanOptions, Planner, PolicyChoice};
pub use sharded::{
    ShardCandidateHits, ShardedPlanner, energy_rank_from_counts, merge_candidate_hits,
};
