//! The masked policy sequencer at planning time: a small network, trained elsewhere
//! (`segue-train`, Maskable PPO), stored as an ONNX file of a documented [`interface`] and run
//! through ONNX Runtime.
//!
//! * [`obs`]: the observation — context, K candidate slots (from a [`CandidateProvider`],
//!   ordered by immediate step reward), the CONTINUE row and the action mask. Training and
//!   planning build it with the same code, so a policy sees at planning time what it was
//!   trained on.
//! * [`interface`]: the ONNX inputs, outputs and metadata keys of a policy file.
//! * [`infer`]: [`PolicyModel`] (one ONNX Runtime session per file) and [`PolicySequencer`].
//! * [`choose`](argmax_valid): the argmax and the seeded draw over the valid actions.
//!
//! Masked actions get the logit [`MASKED_LOGIT`] before the softmax, as in the paper, so their
//! probability is exactly 0; the samplers and the argmax also skip them explicitly, so no
//! masked action is ever chosen.
//!
//! [`CandidateProvider`]: crate::sequencer::CandidateProvider

mod choose;
pub mod infer;
pub mod interface;
pub mod obs;
mod runtime;

pub use choose::{Choice, argmax_valid, sample_valid};
pub use infer::{PolicyModel, PolicySequencer};
pub use interface::{MASKED_LOGIT, PolicyMeta};
pub use obs::{
    FEATURE_VERSION, ObsConfig, ObsDims, Observation, ObservationBuilder, SLOT_FEATURES,
};
pub use runtime::{environment as onnx_runtime, open_session};
