//! From a plan to music an editor can play: each track's in-point on its own bar starts, a
//! transition at every switch chosen by the [`director`] and placed on the beat grid, level
//! matching, a final fade that reaches silence at the video's end, and the edit list that
//! `segue render` plays. Between two tracks too far apart to mix, a [`bridge`] track from the
//! library may link them.

pub mod analysis;
mod arranger;
pub mod bridge;
pub mod director;
pub mod edit_list;
#[cfg(test)]
mod tests;

pub use analysis::{TrackAnalysis, read_analyses};
pub(crate) use arranger::sync_offsets;
pub use arranger::{ON_BEAT_S, arrange, scene_change};
pub use bridge::{BridgeTrack, find_bridges};
pub use edit_list::{
    Arrangement, Bridge, Clip, ClipRole, DECLICK_S, Fade, FadeShape, Transition, TransitionKind,
};
