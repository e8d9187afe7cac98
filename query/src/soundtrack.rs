//! Soundtracks: plan a video's music segment by segment against a library.
//!
//! * [`SoundtrackFit`] — the reference embeddings and switch-budget model `segue fit` learns
//!   from videos and stores with the library (documented defaults without one).
//! * [`Planner`] — opens a library version's tracks and fit and plans videos with a chosen
//!   sequencer ([`PolicyChoice`]), exact (every track) or scalable (top candidates from the
//!   HNSW graphs), under a filter.
//! * [`SoundtrackPlan`] — per segment the action, track, offset, reward and terms; the totals.

mod fit;
mod plan;
mod planner;

pub use fit::{
    FIT_ATTACHMENT, FIT_FORMAT_VERSION, SCENE_CHANGE_COSINE, SoundtrackFit, default_budget,
};
pub use plan::{PlanTiming, PlannedAction, PlannedSegment, SoundtrackPlan};
pub use planner::{DEFAULT_CANDIDATES, PlanBatch, PlanOptions, Planner, PolicyChoice};
