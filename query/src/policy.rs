//! The masked policy sequencer (issue 6): a small network trained with Maskable PPO on the
//! RL-Soundtrack objective, exported as ONNX and run through ONNX Runtime.
//!
//! * [`obs`]: the observation — context, K candidate slots (from a [`CandidateProvider`],
//!   ordered by immediate step reward), the CONTINUE row and the action mask.
//! * [`net`]: the network (context encoder, slot scorer shared across slots, CONTINUE head,
//!   value head; masked logits) with hand-written gradients, and [`loss`], the PPO loss.
//! * [`ppo`]: the trainer (rollouts, GAE, clipped surrogate, Adam), [`train()`]: its loop
//!   with progress bar, checkpoints ([`checkpoint`]), CSV log ([`log`]) and plot ([`plot()`]).
//! * [`onnx`]: the export and its documented interface; [`infer`]: [`PolicySequencer`]
//!   (ONNX Runtime) and [`NetSequencer`] (the trainer's forward pass).
//! * [`train_policy`]: the whole `train-policy` job (split, budgets, training, export,
//!   baselines) over any track source and candidate provider.
//!
//! Masked actions get the logit −1e8 before the softmax, as in the paper, so their
//! probability is exactly 0; the samplers and the argmax also skip them explicitly, so no
//! masked action is ever chosen, in training or inference.
//!
//! [`CandidateProvider`]: crate::sequencer::CandidateProvider

mod adam;
pub mod checkpoint;
mod choose;
pub mod infer;
pub mod log;
pub mod loss;
pub mod net;
pub mod obs;
pub mod onnx;
mod pipeline;
pub mod plot;
pub mod ppo;
mod rollout;
mod runtime;
mod scalar;
mod split;
mod train;

pub use adam::Adam;
pub use choose::{Choice, argmax_valid, sample_valid};
pub use infer::{NetSequencer, PolicyModel, PolicySequencer};
pub use net::{MASKED_LOGIT, NetConfig, PolicyNet};
pub use obs::{FEATURE_VERSION, ObsConfig, ObsDims, Observation, ObservationBuilder};
pub use onnx::{PolicyMeta, export};
pub use pipeline::{SplitReturns, TrainPolicyOptions, TrainPolicyReport, train_policy};
pub use ppo::{
    DEFAULT_STEP_REWARD_PRIOR, PpoConfig, TrainState, Trainer, TrainingData, UpdateStats,
};
pub use rollout::Rollout;
pub use runtime::environment as onnx_runtime;
pub use scalar::Scalar;
pub use split::split_videos;
pub use train::{TrainOutputs, train};
