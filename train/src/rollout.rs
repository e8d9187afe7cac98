//! Collecting whole episodes with the current policy, and their GAE advantages.

use rand::Rng;

use crate::error::TrainError;
use crate::net::{Forward, Input, PolicyNet};
use segue_query::objective::Objective;
use segue_query::policy::obs::{ObsDims, Observation, ObservationBuilder, SLOT_FEATURES};
use segue_query::policy::sample_valid;
use segue_query::video::Video;

/// The steps of one rollout, observations stored flat (one row per step).
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    pub contexts: Vec<f32>,
    pub slots: Vec<f32>,
    pub continues: Vec<f32>,
    pub masks: Vec<f32>,
    pub actions: Vec<usize>,
    pub logps: Vec<f32>,
    pub values: Vec<f32>,
    pub rewards: Vec<f32>,
    /// The step ended its episode.
    pub dones: Vec<bool>,
    pub advantages: Vec<f32>,
    pub returns: Vec<f32>,
    /// Return of each finished episode.
    pub episode_returns: Vec<f64>,
    /// Any step took an action its mask forbids (must stay false; checked by the tests).
    pub masked_action_taken: bool,
}

impl Rollout {
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn clear(&mut self) {
        let keep = std::mem::take(self);
        *self = Rollout {
            contexts: reuse(keep.contexts),
            slots: reuse(keep.slots),
            continues: reuse(keep.continues),
            masks: reuse(keep.masks),
            actions: reuse(keep.actions),
            logps: reuse(keep.logps),
            values: reuse(keep.values),
            rewards: reuse(keep.rewards),
            dones: reuse(keep.dones),
            advantages: reuse(keep.advantages),
            returns: reuse(keep.returns),
            episode_returns: reuse(keep.episode_returns),
            masked_action_taken: false,
        };
    }

    /// The network input of step `i`.
    pub fn input(&self, dims: ObsDims, i: usize) -> Input<'_, f32> {
        let (c, k, f, a) = (dims.context(), dims.slots, SLOT_FEATURES, dims.actions());
        Input {
            context: &self.contexts[i * c..(i + 1) * c],
            slots: &self.slots[i * k * f..(i + 1) * k * f],
            continue_features: &self.continues[i * f..(i + 1) * f],
            mask: &self.masks[i * a..(i + 1) * a],
        }
    }

    /// GAE(λ) advantages and returns (`advantage + value`), episode by episode; episodes end
    /// at a `done` step, so nothing is bootstrapped past it.
    pub fn compute_advantages(&mut self, gamma: f64, lambda: f64) {
        let n = self.len();
        self.advantages.clear();
        self.advantages.resize(n, 0.0);
        self.returns.clear();
        self.returns.resize(n, 0.0);
        let mut next_value = 0.0f64;
        let mut next_adv = 0.0f64;
        for i in (0..n).rev() {
            if self.dones[i] {
                next_value = 0.0;
                next_adv = 0.0;
            }
            let v = self.values[i] as f64;
            let delta = self.rewards[i] as f64 + gamma * next_value - v;
            let adv = delta + gamma * lambda * next_adv;
            self.advantages[i] = adv as f32;
            self.returns[i] = (adv + v) as f32;
            next_value = v;
            next_adv = adv;
        }
    }
}

fn reuse<T>(mut v: Vec<T>) -> Vec<T> {
    v.clear();
    v
}

/// Scratch space for collecting.
#[derive(Debug, Default)]
pub struct Collector {
    obs: Observation,
    fwd: Forward<f32>,
}

impl Collector {
    /// Plays episodes on videos drawn uniformly from `videos` (with their `budgets`) until the
    /// rollout holds at least `min_steps` steps, sampling actions from the policy with `rng`.
    #[allow(clippy::too_many_arguments)]
    pub fn collect(
        &mut self,
        objective: &Objective<'_>,
        videos: &[Video],
        budgets: &[i64],
        net: &PolicyNet<f32>,
        builder: &mut ObservationBuilder<'_>,
        rng: &mut impl Rng,
        min_steps: usize,
        out: &mut Rollout,
    ) -> Result<(), TrainError> {
        out.clear();
        let dims = builder.dims();
        while out.len() < min_steps {
            let v = rng.random_range(0..videos.len());
            let mut ep = objective.start(&videos[v], budgets[v])?;
            let mut ret = 0.0;
            while !ep.is_done() {
                builder.build(&ep, &mut self.obs)?;
                let o = &self.obs;
                let inp = Input {
                    context: &o.context,
                    slots: &o.slots,
                    continue_features: &o.continue_features,
                    mask: &o.mask,
                };
                net.forward(inp, &mut self.fwd);
                let i = sample_valid(&self.fwd.logits, &o.mask, rng).ok_or_else(|| {
                    segue_query::QueryError::NoCandidates {
                        video: ep.video().id.clone(),
                        segment: ep.t(),
                    }
                })?;
                let action = o.action(i);
                out.masked_action_taken |= action.is_none() || !ep.action_valid(action.unwrap());
                let action = action.ok_or_else(|| {
                    TrainError::Config(format!("action {i} is masked at segment {}", ep.t()))
                })?;
                let logp = log_prob(&self.fwd.logits, &o.mask, i);
                out.contexts.extend_from_slice(&o.context);
                out.slots.extend_from_slice(&o.slots);
                out.continues.extend_from_slice(&o.continue_features);
                out.masks.extend_from_slice(&o.mask);
                out.actions.push(i);
                out.logps.push(logp);
                out.values.push(self.fwd.value);
                let report = ep.step(action)?;
                ret += report.reward;
                out.rewards.push(report.reward as f32);
                out.dones.push(false);
            }
            if let Some(d) = out.dones.last_mut() {
                *d = true;
            }
            out.episode_returns.push(ret);
            debug_assert_eq!(out.contexts.len(), out.len() * dims.context());
        }
        Ok(())
    }
}

/// `log π(i)` under the masked softmax (f32, as the loss computes it).
pub fn log_prob(logits: &[f32], mask: &[f32], i: usize) -> f32 {
    let mut logp = vec![0.0f32; logits.len()];
    crate::loss::log_softmax(logits, mask, &mut logp);
    logp[i]
}
