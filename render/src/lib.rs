//! `segue-render`: plays a soundtrack plan's edit list ([`segue_query::arrange`]).
//!
//! * [`mixer`]: decodes each clip's track, places it sample-accurately on the timeline with its
//!   fades and level-matching gain, and sums the clips (44.1 kHz stereo by default).
//! * [`loudness`]: brings the mix to a target integrated loudness (EBU R128, default −16 LUFS)
//!   without clipping.
//! * [`encode`]: writes the mix as 16-bit WAV or FLAC, atomically.
//! * [`otio`]: the edit list as OpenTimelineIO JSON for editors.

pub mod encode;
pub mod error;
pub mod loudness;
pub mod mixer;
pub mod otio;

pub use error::{RenderError, Result};
pub use mixer::{Mix, RenderOptions, mix};
