//! `segue-query`: questions asked of a published library.
//!
//! * [`search`]: pointwise retrieval (vector, track ids, tags/words, hybrid) with filters.
//! * [`video`]: the video input format (segments with embeddings, captions, flags).
//! * [`objective`]: the RL-Soundtrack reward model.
//! * [`sequencer`]: per-segment "new track or CONTINUE" decisions (random, greedy, beam).
//! * [`policy`]: the masked policy sequencer: Maskable PPO training, ONNX export, inference.

pub mod error;
pub mod objective;
pub mod policy;
pub mod search;
pub mod sequencer;
pub mod video;

pub use error::QueryError;
