//! The trainer's network as a [`Sequencer`] (its own forward pass, no ONNX Runtime): what
//! training evaluates held-out videos with, and what tests compare the exported ONNX file
//! against.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use segue_query::QueryError;
use segue_query::hash::video_seed;
use segue_query::objective::{Action, Episode};
use segue_query::policy::{Choice, Observation, ObservationBuilder, argmax_valid, sample_valid};
use segue_query::sequencer::Sequencer;
use segue_query::video::Video;

use crate::error::TrainError;
use crate::net::{Forward, Input, PolicyNet};

fn input(o: &Observation) -> Input<'_, f32> {
    Input {
        context: &o.context,
        slots: &o.slots,
        continue_features: &o.continue_features,
        mask: &o.mask,
    }
}

/// The trainer's network stepping through an episode with a borrowed observation builder.
#[derive(Debug)]
pub struct NetStepper<'n> {
    net: &'n PolicyNet<f32>,
    obs: Observation,
    fwd: Forward<f32>,
}

impl<'n> NetStepper<'n> {
    pub fn new(net: &'n PolicyNet<f32>) -> Self {
        NetStepper {
            net,
            obs: Observation::zeros(net.dims),
            fwd: Forward::default(),
        }
    }

    /// The argmax action at the episode's next segment.
    pub fn choose_greedy(
        &mut self,
        builder: &mut ObservationBuilder<'_>,
        ep: &Episode<'_>,
    ) -> Result<Action, QueryError> {
        builder.build(ep, &mut self.obs)?;
        self.net.forward(input(&self.obs), &mut self.fwd);
        self.obs
            .chosen_action(argmax_valid(&self.fwd.logits, &self.obs.mask), ep)
    }
}

/// A policy run by the trainer's forward pass (no ONNX Runtime).
#[derive(Debug)]
pub struct NetSequencer<'p> {
    net: PolicyNet<f32>,
    builder: ObservationBuilder<'p>,
    obs: Observation,
    fwd: Forward<f32>,
    choice: Choice,
    rng: ChaCha8Rng,
}

impl<'p> NetSequencer<'p> {
    pub fn new(
        net: PolicyNet<f32>,
        builder: ObservationBuilder<'p>,
        choice: Choice,
    ) -> Result<Self, TrainError> {
        if builder.dims() != net.dims {
            return Err(TrainError::Config(format!(
                "the network expects {:?}, the observation builder makes {:?}",
                net.dims,
                builder.dims()
            )));
        }
        Ok(NetSequencer {
            obs: Observation::zeros(net.dims),
            net,
            builder,
            fwd: Forward::default(),
            choice,
            rng: ChaCha8Rng::seed_from_u64(0),
        })
    }

    /// The masked logits of the last step.
    pub fn last_logits(&self) -> &[f32] {
        &self.fwd.logits
    }

    /// The observation of the last step.
    pub fn last_observation(&self) -> &Observation {
        &self.obs
    }
}

impl Sequencer for NetSequencer<'_> {
    fn name(&self) -> &str {
        "policy-net"
    }

    fn begin(&mut self, video: &Video) {
        if let Choice::Sample(seed) = self.choice {
            self.rng = ChaCha8Rng::seed_from_u64(video_seed(seed, &video.id));
        }
    }

    fn choose(&mut self, ep: &Episode<'_>) -> Result<Action, QueryError> {
        self.builder.build(ep, &mut self.obs)?;
        self.net.forward(input(&self.obs), &mut self.fwd);
        let i = match self.choice {
            Choice::Greedy => argmax_valid(&self.fwd.logits, &self.obs.mask),
            Choice::Sample(_) => sample_valid(&self.fwd.logits, &self.obs.mask, &mut self.rng),
        };
        self.obs.chosen_action(i, ep)
    }
}
