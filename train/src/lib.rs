//! `segue-train`: trains the masked policy that `segue-query` plans with, and exports it as an
//! ONNX file of the interface `segue_query::policy::interface` documents.
//!
//! * [`net`]: the network (context encoder, slot scorer shared across slots, CONTINUE head,
//!   value head; masked logits) with hand-written gradients, and [`loss`], the PPO loss.
//! * [`ppo`]: the trainer (rollouts, GAE, clipped surrogate, Adam); [`train()`]: its loop with
//!   checkpoints ([`checkpoint`]), the CSV log ([`log`]) and a callback per update.
//! * [`onnx`]: the export; [`NetSequencer`]: the trainer's own forward pass as a sequencer.
//! * [`train_policy`]: the whole `train-policy` job (split, budgets, training, export,
//!   baselines) over any track source and candidate provider.

mod adam;
pub mod checkpoint;
pub mod error;
pub mod log;
pub mod loss;
pub mod net;
pub mod onnx;
mod pipeline;
pub mod ppo;
mod rollout;
mod scalar;
mod sequencer;
mod split;
mod train;

pub use adam::Adam;
pub use error::TrainError;
pub use net::{NetConfig, PolicyNet};
pub use onnx::export;
pub use pipeline::{SplitReturns, TrainPolicyOptions, TrainPolicyReport, train_policy};
pub use ppo::{
    DEFAULT_STEP_REWARD_PRIOR, PpoConfig, TrainState, Trainer, TrainingData, UpdateStats,
};
pub use rollout::Rollout;
pub use scalar::Scalar;
pub use sequencer::{NetSequencer, NetStepper};
pub use split::split_videos;
pub use train::{OnUpdate, TrainOutputs, train};
