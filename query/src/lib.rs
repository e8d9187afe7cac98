//! `segue-query`: questions asked of a published library.
//!
//! * [`search`]: pointwise retrieval (vector, track ids, tags/words, hybrid, browsing) with
//!   filters, and reranking of its candidate pool.
//! * [`rerank`]: diversity (MMR, DPP), caps and exclusions, for search and planning.
//! * [`video`]: the video input format (segments with embeddings, captions, flags).
//! * [`objective`]: the RL-Soundtrack reward model.
//! * [`sequencer`]: per-segment "new track or CONTINUE" decisions (random, greedy, beam).
//! * [`soundtrack`]: plans for whole videos against a library (fit, planner, plan output).
//! * [`arrange`]: a plan made playable: transitions on the beat grid and an edit list.
//! * [`library_tracks`]: the objective's view of a published library.
//! * [`policy`]: the masked policy sequencer: a trained ONNX policy run through ONNX Runtime
//!   (training and export live in `segue-train`).

pub mod arrange;
pub mod error;
pub mod hash;
pub mod library_tracks;
pub mod objective;
pub mod policy;
pub mod rerank;
pub mod search;
pub mod sequencer;
pub mod soundtrack;
pub mod video;

pub use error::QueryError;
pub use library_tracks::LibraryTracks;
