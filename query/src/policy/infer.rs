//! Running a policy file as a [`Sequencer`] through ONNX Runtime ([`PolicySequencer`]).
//!
//! Per step: build the observation into reused buffers, run the network, pick the argmax (or
//! a seeded draw) among the valid actions, map slot → `Action::Track(row)`. Neither the
//! observation, the inputs nor the pick allocate; ONNX Runtime allocates its output tensors.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::TensorRef;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::choose::{Choice, argmax_valid, sample_valid};
use super::interface::{INPUTS, OUTPUTS, PolicyMeta};
use super::obs::{Observation, ObservationBuilder, SLOT_FEATURES};
use super::runtime::open_session;
use crate::error::QueryError;
use crate::hash::video_seed;
use crate::objective::{Action, Episode};
use crate::sequencer::Sequencer;
use crate::video::Video;

/// An ONNX policy file opened once: its session and declared layout.
pub struct PolicyModel {
    session: Session,
    path: PathBuf,
    meta: PolicyMeta,
}

impl std::fmt::Debug for PolicyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyModel")
            .field("path", &self.path)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl PolicyModel {
    /// Opens `path` with `threads` intra-op threads (0: ONNX Runtime's default; 1 is fastest
    /// for this small network) and checks its inputs, outputs and metadata.
    pub fn open(path: &Path, threads: usize) -> Result<Self, QueryError> {
        let session = open_session(path, threads)?;
        let bad = |reason: String| QueryError::Onnx {
            path: path.to_path_buf(),
            reason,
        };
        let have_in: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
        let have_out: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        if have_in != INPUTS {
            return Err(bad(format!(
                "inputs are {have_in:?}, expected {INPUTS:?} in this order"
            )));
        }
        for name in OUTPUTS {
            if !have_out.contains(&name) {
                return Err(bad(format!("no output {name:?} (outputs: {have_out:?})")));
            }
        }
        let meta = {
            let m = session.metadata().map_err(|e| bad(e.to_string()))?;
            PolicyMeta::parse(|k| m.custom(k)).map_err(bad)?
        };
        Ok(PolicyModel {
            session,
            path: path.to_path_buf(),
            meta,
        })
    }

    pub fn meta(&self) -> PolicyMeta {
        self.meta
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs a batch of `b` observations laid out as the ONNX inputs; writes `b × (k + 1)`
    /// masked logits and `b` values.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        b: usize,
        k: usize,
        context: &[f32],
        slots: &[f32],
        continue_features: &[f32],
        mask: &[f32],
        logits: &mut [f32],
        values: &mut [f32],
    ) -> Result<(), QueryError> {
        // Disjoint borrows: the session runs while the error path only reads the file name
        // (no per-step clone of it).
        let (session, path) = (&mut self.session, &self.path);
        let err = |e: ort::Error| QueryError::Onnx {
            path: path.clone(),
            reason: e.to_string(),
        };
        let c = self.meta.context_dim;
        let f = SLOT_FEATURES;
        if context.len() != b * c
            || slots.len() != b * k * f
            || continue_features.len() != b * f
            || mask.len() != b * (k + 1)
            || logits.len() != b * (k + 1)
            || values.len() != b
        {
            return Err(QueryError::Policy(format!(
                "input sizes do not match a batch of {b} with {k} slots and context {c}"
            )));
        }
        let outputs = session
            .run(ort::inputs![
                TensorRef::from_array_view(([b, c], context)).map_err(err)?,
                TensorRef::from_array_view(([b, k, f], slots)).map_err(err)?,
                TensorRef::from_array_view(([b, f], continue_features)).map_err(err)?,
                TensorRef::from_array_view(([b, k + 1], mask)).map_err(err)?,
            ])
            .map_err(err)?;
        let (_, l) = outputs["logits"].try_extract_tensor::<f32>().map_err(err)?;
        let (_, v) = outputs["value"].try_extract_tensor::<f32>().map_err(err)?;
        if l.len() != logits.len() || v.len() != values.len() {
            return Err(QueryError::Onnx {
                path: path.clone(),
                reason: format!(
                    "outputs have {} logits and {} values, expected {} and {b}",
                    l.len(),
                    v.len(),
                    logits.len()
                ),
            });
        }
        logits.copy_from_slice(l);
        values.copy_from_slice(v);
        Ok(())
    }
}

/// The policy as a sequencer, through ONNX Runtime.
#[derive(Debug)]
pub struct PolicySequencer<'p> {
    model: PolicyModel,
    builder: ObservationBuilder<'p>,
    obs: Observation,
    logits: Vec<f32>,
    value: [f32; 1],
    choice: Choice,
    rng: ChaCha8Rng,
    network: std::time::Duration,
    steps: u64,
}

impl<'p> PolicySequencer<'p> {
    /// `builder` must make observations of the model's layout: same embedding dimensions;
    /// its slot count is what the model is fed (any K works with the shared slot scorer, but
    /// the model was trained with `meta().dims.slots`).
    pub fn new(
        model: PolicyModel,
        builder: ObservationBuilder<'p>,
        choice: Choice,
    ) -> Result<Self, QueryError> {
        let d = builder.dims();
        model
            .meta
            .check(d.audio, d.text)
            .map_err(|reason| QueryError::Onnx {
                path: model.path.clone(),
                reason,
            })?;
        Ok(PolicySequencer {
            obs: Observation::zeros(d),
            logits: vec![0.0; d.actions()],
            value: [0.0],
            model,
            builder,
            choice,
            rng: ChaCha8Rng::seed_from_u64(0),
            network: std::time::Duration::ZERO,
            steps: 0,
        })
    }

    /// The masked logits of the last step.
    pub fn last_logits(&self) -> &[f32] {
        &self.logits
    }

    /// The model back, for the next video (its session is the costly part to build).
    pub fn into_model(self) -> PolicyModel {
        self.model
    }

    /// The ONNX model's part of the last steps: the time spent in ONNX Runtime, and the
    /// number of steps, since the sequencer was made.
    pub fn network_time(&self) -> (std::time::Duration, u64) {
        (self.network, self.steps)
    }

    /// The observation of the last step.
    pub fn last_observation(&self) -> &Observation {
        &self.obs
    }
}

impl Sequencer for PolicySequencer<'_> {
    fn name(&self) -> &str {
        "policy"
    }

    fn begin(&mut self, video: &Video) {
        if let Choice::Sample(seed) = self.choice {
            self.rng = ChaCha8Rng::seed_from_u64(video_seed(seed, &video.id));
        }
    }

    fn choose(&mut self, ep: &Episode<'_>) -> Result<Action, QueryError> {
        self.builder.build(ep, &mut self.obs)?;
        let k = self.builder.dims().slots;
        let o = &self.obs;
        let start = std::time::Instant::now();
        self.model.run(
            1,
            k,
            &o.context,
            &o.slots,
            &o.continue_features,
            &o.mask,
            &mut self.logits,
            &mut self.value,
        )?;
        self.network += start.elapsed();
        self.steps += 1;
        let i = match self.choice {
            Choice::Greedy => argmax_valid(&self.logits, &o.mask),
            Choice::Sample(_) => sample_valid(&self.logits, &o.mask, &mut self.rng),
        };
        self.obs.chosen_action(i, ep)
    }
}
