//! Maskable PPO (clipped surrogate, value head, GAE(λ), entropy bonus over the valid actions,
//! minibatch epochs, Adam, gradient clipping) on the objective in its train mode.
//!
//! Everything is single-threaded and seeded (ChaCha8), so a run is a pure function of its
//! inputs and seed; the generator's position is part of the checkpoint, so that training N
//! steps in one go and N/2 + N/2 with a checkpoint in between give bit-identical networks.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::adam::Adam;
use crate::error::TrainError;
use crate::loss::{LossCoefs, ppo_sample};
use crate::net::{Backward, Forward, NetConfig, Params, PolicyNet};
use crate::rollout::{Collector, Rollout};
use segue_query::hash::fnv1a;
use segue_query::objective::{Mode, Objective, ObjectiveConfig, ReferenceEmbeddings, TrackSource};
use segue_query::policy::obs::{FEATURE_VERSION, ObsConfig, ObsDims, ObservationBuilder};
use segue_query::sequencer::{AllRows, AllTracks, CandidateProvider, RowFilter};
use segue_query::video::Video;

/// Settings of a training run (stored in its checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PpoConfig {
    pub seed: u64,
    /// Environment steps collected per update (whole episodes: at least this many).
    pub rollout_steps: usize,
    /// Passes over each rollout.
    pub epochs: usize,
    pub minibatch: usize,
    pub learning_rate: f64,
    pub gamma: f64,
    pub gae_lambda: f64,
    pub clip: f64,
    pub value_coef: f64,
    pub entropy_coef: f64,
    /// Global gradient-norm limit (0: none).
    pub max_grad_norm: f64,
    /// Evaluate the greedy policy on the held-out videos every this many updates (0: never).
    pub eval_every: u64,
    /// Initial weight of the `step_reward` feature in the slot and CONTINUE logits (0: a
    /// policy that starts uniform over its valid actions). See [`PolicyNet::set_step_reward_prior`].
    pub step_reward_prior: f64,
    pub net: NetConfig,
    pub obs: ObsConfig,
}

/// The default [`PpoConfig::step_reward_prior`]: immediate-reward differences of 0.1 between
/// two candidates start as a logit difference of 1, so training begins from a soft greedy
/// policy (which explores near-equal candidates and rarely tries clearly worse ones) instead
/// of a uniform one. From a uniform start, 300k steps on the generated demo library were mostly
/// spent learning what greedy knows (switch at a scene change) and ended 13% below greedy-all.
pub const DEFAULT_STEP_REWARD_PRIOR: f64 = 10.0;

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            seed: 0,
            rollout_steps: 512,
            epochs: 4,
            minibatch: 64,
            learning_rate: 1e-3,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip: 0.2,
            value_coef: 0.5,
            entropy_coef: 0.01,
            max_grad_norm: 0.5,
            eval_every: 1,
            step_reward_prior: DEFAULT_STEP_REWARD_PRIOR,
            net: NetConfig::default(),
            obs: ObsConfig::default(),
        }
    }
}

impl PpoConfig {
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: &str| Err(TrainError::Config(m.to_string()));
        if self.rollout_steps == 0 || self.epochs == 0 || self.minibatch == 0 {
            return bad("rollout_steps, epochs and minibatch must be positive");
        }
        let finite = [
            self.learning_rate,
            self.gamma,
            self.gae_lambda,
            self.clip,
            self.value_coef,
            self.entropy_coef,
            self.max_grad_norm,
            self.step_reward_prior,
        ];
        if finite.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return bad(
                "learning rate, gamma, lambda, clip, coefficients and the step-reward prior must \
                 be finite and ≥ 0",
            );
        }
        if self.gamma > 1.0 || self.gae_lambda > 1.0 {
            return bad("gamma and gae_lambda must be at most 1");
        }
        Ok(())
    }
}

/// One update's numbers (a row of the training log).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    pub update: u64,
    pub env_steps: u64,
    pub episodes: usize,
    /// Mean return of the rollout's episodes (sampled actions, train-mode objective).
    pub mean_return: f64,
    /// Mean return of the greedy policy on the held-out videos (train-mode objective), when
    /// evaluated at this update.
    pub eval_return: Option<f64>,
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    pub approx_kl: f64,
    pub clip_fraction: f64,
    /// Wall-clock seconds since the run started (across resumes).
    pub seconds: f64,
}

/// Generator position, so that a resumed run draws what the uninterrupted one would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RngState {
    pub seed: [u8; 32],
    pub stream: u64,
    pub word_pos: u128,
}

impl RngState {
    pub fn of(rng: &ChaCha8Rng) -> Self {
        RngState {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    pub fn restore(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

/// Everything a run needs to continue: what a checkpoint holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    pub feature_version: u32,
    pub config: PpoConfig,
    pub net: PolicyNet<f32>,
    pub adam: Adam,
    pub rng: RngState,
    pub env_steps: u64,
    pub updates: u64,
    pub seconds: f64,
    pub history: Vec<UpdateStats>,
    /// Hash of the training inputs (videos, budgets, library size, dims), so that resuming
    /// with other data is an error rather than a silently different run.
    pub data_fingerprint: u64,
}

/// What a run trains on. The objective's mode is forced to [`Mode::Train`] for training (the
/// reference's `train.py`); evaluation of the held-out split uses the same objective.
pub struct TrainingData<'a> {
    pub tracks: &'a dyn TrackSource,
    pub reference: &'a ReferenceEmbeddings,
    pub objective: ObjectiveConfig,
    pub train: &'a [Video],
    pub test: &'a [Video],
    /// Switch budget of each video (e.g. `SwitchBudgetModel::budget_for`).
    pub budget_for: &'a dyn Fn(&Video) -> i64,
    /// Candidate rows per step (exact: [`AllTracks`]; scalable: an ANN top-K provider).
    pub provider: Box<dyn CandidateProvider + 'a>,
    pub filter: Box<dyn RowFilter + 'a>,
}

impl std::fmt::Debug for TrainingData<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainingData")
            .field("tracks", &self.tracks.len())
            .field("objective", &self.objective)
            .field("train", &self.train.len())
            .field("test", &self.test.len())
            .finish_non_exhaustive()
    }
}

impl<'a> TrainingData<'a> {
    /// Exact candidates (every track), unfiltered.
    pub fn exact(
        tracks: &'a dyn TrackSource,
        reference: &'a ReferenceEmbeddings,
        objective: ObjectiveConfig,
        train: &'a [Video],
        test: &'a [Video],
        budget_for: &'a dyn Fn(&Video) -> i64,
    ) -> Self {
        TrainingData {
            tracks,
            reference,
            objective,
            train,
            test,
            budget_for,
            provider: Box::new(AllTracks),
            filter: Box::new(AllRows),
        }
    }
}

/// A training run in progress.
pub struct Trainer<'a> {
    objective: Objective<'a>,
    train: &'a [Video],
    test: &'a [Video],
    train_budgets: Vec<i64>,
    test_budgets: Vec<i64>,
    builder: ObservationBuilder<'a>,
    state: TrainState,
    rng: ChaCha8Rng,
    rollout: Rollout,
    collector: Collector,
}

impl std::fmt::Debug for Trainer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("env_steps", &self.state.env_steps)
            .field("updates", &self.state.updates)
            .finish_non_exhaustive()
    }
}

fn fingerprint(data: &TrainingData<'_>, train_budgets: &[i64], dims: ObsDims) -> u64 {
    let mut s = format!(
        "v{FEATURE_VERSION} rows {} dims {:?} objective {:?}",
        data.tracks.len(),
        dims,
        data.objective.weights
    );
    for (v, b) in data.train.iter().zip(train_budgets) {
        s.push_str(&format!(" {}:{}:{b}", v.id, v.segments.len()));
    }
    fnv1a(s.as_bytes())
}

impl<'a> Trainer<'a> {
    /// A new run with freshly initialised weights.
    pub fn new(data: TrainingData<'a>, config: PpoConfig) -> Result<Self, TrainError> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let (trainer_parts, dims) = Self::parts(data, config.obs)?;
        let mut net = PolicyNet::new(dims, config.net)?;
        net.init(&mut rng);
        net.set_step_reward_prior(config.step_reward_prior);
        let n = net.layout().total();
        let state = TrainState {
            feature_version: FEATURE_VERSION,
            config,
            net,
            adam: Adam::new(n),
            rng: RngState::of(&rng),
            env_steps: 0,
            updates: 0,
            seconds: 0.0,
            history: Vec::new(),
            data_fingerprint: trainer_parts.fingerprint,
        };
        Ok(trainer_parts.into_trainer(state, rng))
    }

    /// Continues a run from its state (see [`crate::checkpoint::load`]), on the same data.
    pub fn resume(data: TrainingData<'a>, state: TrainState) -> Result<Self, TrainError> {
        if state.feature_version != FEATURE_VERSION {
            return Err(TrainError::Config(format!(
                "the checkpoint has observation features v{}, this build v{FEATURE_VERSION}",
                state.feature_version
            )));
        }
        let (parts, dims) = Self::parts(data, state.config.obs)?;
        if dims != state.net.dims {
            return Err(TrainError::Config(format!(
                "the checkpoint's network expects {:?}, the data gives {dims:?}",
                state.net.dims
            )));
        }
        if parts.fingerprint != state.data_fingerprint {
            return Err(TrainError::Config(
                "the checkpoint was trained on other videos, budgets or tracks; resume with \
                 the same inputs"
                    .into(),
            ));
        }
        let rng = state.rng.restore();
        Ok(parts.into_trainer(state, rng))
    }

    fn parts(data: TrainingData<'a>, obs: ObsConfig) -> Result<(Parts<'a>, ObsDims), TrainError> {
        if data.train.is_empty() {
            return Err(TrainError::Config("no training videos".into()));
        }
        let cfg = ObjectiveConfig {
            mode: Mode::Train,
            ..data.objective
        };
        let objective = Objective::new(data.tracks, data.reference, cfg)?;
        let train_budgets: Vec<i64> = data.train.iter().map(data.budget_for).collect();
        let test_budgets: Vec<i64> = data.test.iter().map(data.budget_for).collect();
        let dims = ObsDims {
            audio: data.tracks.dims().audio.unwrap_or(0),
            text: data.tracks.dims().text.unwrap_or(0),
            slots: obs.slots,
        };
        let fingerprint = fingerprint(&data, &train_budgets, dims);
        let builder = ObservationBuilder::new(data.tracks, obs, data.provider, data.filter)?;
        debug_assert_eq!(builder.dims(), dims);
        Ok((
            Parts {
                objective,
                train: data.train,
                test: data.test,
                train_budgets,
                test_budgets,
                builder,
                fingerprint,
            },
            dims,
        ))
    }

    pub fn state(&self) -> &TrainState {
        &self.state
    }

    /// The state with the generator's current position (what a checkpoint stores).
    pub fn snapshot(&self) -> TrainState {
        let mut s = self.state.clone();
        s.rng = RngState::of(&self.rng);
        s
    }

    pub fn net(&self) -> &PolicyNet<f32> {
        &self.state.net
    }

    pub fn env_steps(&self) -> u64 {
        self.state.env_steps
    }

    /// The last rollout (for tests: no masked action was taken).
    pub fn last_rollout(&self) -> &Rollout {
        &self.rollout
    }

    /// Collects one rollout and updates the network on it.
    pub fn update(&mut self) -> Result<UpdateStats, TrainError> {
        let started = Instant::now();
        let cfg = self.state.config;
        self.collector.collect(
            &self.objective,
            self.train,
            &self.train_budgets,
            &self.state.net,
            &mut self.builder,
            &mut self.rng,
            cfg.rollout_steps,
            &mut self.rollout,
        )?;
        if self.rollout.masked_action_taken {
            return Err(TrainError::Config(
                "a rollout took a masked action (a bug: the mask is applied before sampling)"
                    .into(),
            ));
        }
        self.rollout.compute_advantages(cfg.gamma, cfg.gae_lambda);
        let mut stats = self.optimise()?;
        self.state.updates += 1;
        self.state.env_steps += self.rollout.len() as u64;
        stats.update = self.state.updates;
        stats.env_steps = self.state.env_steps;
        stats.episodes = self.rollout.episode_returns.len();
        stats.mean_return = mean(&self.rollout.episode_returns);
        if cfg.eval_every > 0
            && self.state.updates.is_multiple_of(cfg.eval_every)
            && !self.test.is_empty()
        {
            stats.eval_return = Some(self.evaluate_greedy_on_test()?);
        }
        self.state.seconds += started.elapsed().as_secs_f64();
        stats.seconds = self.state.seconds;
        self.state.history.push(stats);
        Ok(stats)
    }

    /// Mean return of the greedy policy on the held-out videos, train-mode objective.
    pub fn evaluate_greedy_on_test(&mut self) -> Result<f64, TrainError> {
        let (test, budgets) = (self.test, std::mem::take(&mut self.test_budgets));
        let r = self.evaluate_with_budgets(test, &budgets, Mode::Train);
        self.test_budgets = budgets;
        r
    }

    /// Mean return of the greedy (argmax) policy over `videos` under the objective in `mode`,
    /// with the trainer's candidates.
    pub fn evaluate_greedy(
        &mut self,
        videos: &[Video],
        budget_for: &dyn Fn(&Video) -> i64,
        mode: Mode,
    ) -> Result<f64, TrainError> {
        let budgets: Vec<i64> = videos.iter().map(budget_for).collect();
        self.evaluate_with_budgets(videos, &budgets, mode)
    }

    fn evaluate_with_budgets(
        &mut self,
        videos: &[Video],
        budgets: &[i64],
        mode: Mode,
    ) -> Result<f64, TrainError> {
        if videos.is_empty() {
            return Err(TrainError::Config("no videos to evaluate on".into()));
        }
        let o = &self.objective;
        let cfg = ObjectiveConfig {
            mode,
            ..*o.config()
        };
        let objective = Objective::new(o.tracks(), o.reference(), cfg)?;
        let mut seq = crate::sequencer::NetStepper::new(&self.state.net);
        let mut total = 0.0;
        for (v, b) in videos.iter().zip(budgets) {
            let mut ep = objective.start(v, *b)?;
            while !ep.is_done() {
                let a = seq.choose_greedy(&mut self.builder, &ep)?;
                ep.step(a)?;
            }
            total += ep.finish().total_reward;
        }
        Ok(total / videos.len() as f64)
    }

    /// Minibatch epochs over the rollout.
    fn optimise(&mut self) -> Result<UpdateStats, TrainError> {
        let cfg = self.state.config;
        let coefs = LossCoefs {
            clip: cfg.clip,
            value: cfg.value_coef,
            entropy: cfg.entropy_coef,
        };
        let net_dims = self.state.net.dims;
        let n = self.rollout.len();
        let actions = net_dims.actions();
        let mut order: Vec<usize> = (0..n).collect();
        let mut grad = Params::<f32>::zeros(self.state.net.layout());
        let mut fwd = Forward::default();
        let mut bwd = Backward::default();
        let mut logp = vec![0.0f32; actions];
        let mut dlogits = vec![0.0f32; actions];
        let (mut pl, mut vl, mut en, mut kl, mut clipped, mut count) =
            (0.0, 0.0, 0.0, 0.0, 0usize, 0usize);
        for _ in 0..cfg.epochs {
            // Fisher–Yates with our generator (`SliceRandom::shuffle` is not promised to stay
            // the same across rand versions).
            for i in (1..n).rev() {
                let j = self.rng.random_range(0..=i);
                order.swap(i, j);
            }
            for batch in order.chunks(cfg.minibatch) {
                let (adv_mean, adv_std) =
                    mean_std(batch.iter().map(|&i| self.rollout.advantages[i]));
                grad.fill_zero();
                let w = 1.0 / batch.len() as f32;
                for &i in batch {
                    let inp = self.rollout.input(net_dims, i);
                    self.state.net.forward(inp, &mut fwd);
                    let adv = if batch.len() > 1 {
                        ((self.rollout.advantages[i] as f64 - adv_mean) / (adv_std + 1e-8)) as f32
                    } else {
                        self.rollout.advantages[i]
                    };
                    dlogits.fill(0.0);
                    let (l, dv) = ppo_sample(
                        &fwd.logits,
                        inp.mask,
                        fwd.value,
                        self.rollout.actions[i],
                        self.rollout.logps[i],
                        adv,
                        self.rollout.returns[i],
                        coefs,
                        w,
                        &mut logp,
                        &mut dlogits,
                    );
                    self.state
                        .net
                        .backward(inp, &fwd, &dlogits, dv, &mut grad, &mut bwd);
                    pl += l.policy;
                    vl += l.value;
                    en += l.entropy;
                    kl += l.log_ratio;
                    clipped += usize::from(l.clipped);
                    count += 1;
                }
                if grad.data.iter().any(|g| !g.is_finite()) {
                    return Err(TrainError::Config(format!(
                        "a gradient is not finite at update {} (lower the learning rate)",
                        self.state.updates + 1
                    )));
                }
                Adam::clip(&mut grad.data, cfg.max_grad_norm);
                self.state.adam.step(
                    &mut self.state.net.params.data,
                    &grad.data,
                    cfg.learning_rate,
                );
            }
        }
        let c = count.max(1) as f64;
        Ok(UpdateStats {
            update: 0,
            env_steps: 0,
            episodes: 0,
            mean_return: 0.0,
            eval_return: None,
            policy_loss: pl / c,
            value_loss: vl / c,
            entropy: en / c,
            approx_kl: kl / c,
            clip_fraction: clipped as f64 / c,
            seconds: 0.0,
        })
    }
}

/// The pieces of a trainer that do not depend on whether it starts or resumes.
struct Parts<'a> {
    objective: Objective<'a>,
    train: &'a [Video],
    test: &'a [Video],
    train_budgets: Vec<i64>,
    test_budgets: Vec<i64>,
    builder: ObservationBuilder<'a>,
    fingerprint: u64,
}

impl<'a> Parts<'a> {
    fn into_trainer(self, state: TrainState, rng: ChaCha8Rng) -> Trainer<'a> {
        Trainer {
            objective: self.objective,
            train: self.train,
            test: self.test,
            train_budgets: self.train_budgets,
            test_budgets: self.test_budgets,
            builder: self.builder,
            state,
            rng,
            rollout: Rollout::default(),
            collector: Collector::default(),
        }
    }
}

fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

/// Mean and population standard deviation.
fn mean_std(x: impl Iterator<Item = f32> + Clone) -> (f64, f64) {
    let n = x.clone().count().max(1) as f64;
    let m = x.clone().map(|v| v as f64).sum::<f64>() / n;
    let var = x.map(|v| (v as f64 - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt())
}
