//! `train-policy` as a library call: split the videos, fit the reference embeddings and the
//! switch budgets, train (or resume), export the ONNX policy, and compare it with the random
//! and greedy-all baselines. Takes any [`TrackSource`] and any [`CandidateProvider`], so the
//! CLI can hand it a library-backed source and an ANN top-K provider.

use std::path::PathBuf;

use crate::checkpoint;
use crate::error::TrainError;
use crate::onnx::export;
use crate::ppo::UpdateStats;
use crate::ppo::{PpoConfig, Trainer, TrainingData};
use crate::split::split_videos;
use crate::train::{OnUpdate, TrainOutputs, train};
use segue_query::objective::{
    Mode, Objective, ObjectiveConfig, ReferenceEmbeddings, SwitchBudgetModel, TrackSource,
};
use segue_query::sequencer::{
    CandidateProvider, Candidates, Greedy, Random, RowFilter, Sequencer, run_episode,
};
use segue_query::soundtrack::SoundtrackFit;
use segue_query::video::Video;

/// Settings of [`train_policy`].
#[derive(Debug, Clone)]
pub struct TrainPolicyOptions {
    /// Where the ONNX policy is written.
    pub out: PathBuf,
    /// Total environment steps of the run (a resumed run counts its earlier steps).
    pub steps: u64,
    /// PPO, network and observation settings (seed, slots K, ...). Ignored when resuming:
    /// the checkpoint's settings continue.
    pub config: PpoConfig,
    /// Objective weights (the mode is forced to train for training).
    pub objective: ObjectiveConfig,
    /// Share of the videos held out for testing (by a hash of the video id).
    pub test_fraction: f64,
    pub checkpoint: Option<PathBuf>,
    /// Updates between checkpoints (0: only at the end).
    pub checkpoint_every: u64,
    /// Continue from `checkpoint` instead of starting afresh.
    pub resume: bool,
    /// CSV training log, rewritten after every update.
    pub log: Option<PathBuf>,
    /// Also run the random and greedy-all baselines (exact: they scan every track at every
    /// step, so leave this off for very large libraries).
    pub baselines: bool,
    /// The library's fitted soundtrack model (`segue fit`): its reference embeddings and
    /// switch budgets are what planning uses, so training uses them too. Without one, the
    /// references are fitted on all the videos and the budget model on the training split.
    pub fit: Option<SoundtrackFit>,
}

impl TrainPolicyOptions {
    /// 20 000 steps of the default PPO settings, a quarter of the videos held out, baselines
    /// on, no checkpoint or log, writing the policy to `out`.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        TrainPolicyOptions {
            out: out.into(),
            steps: 20_000,
            config: PpoConfig::default(),
            objective: ObjectiveConfig::default(),
            test_fraction: 0.25,
            checkpoint: None,
            checkpoint_every: 0,
            resume: false,
            log: None,
            baselines: true,
            fit: None,
        }
    }
}

/// Mean returns of one (split, objective mode).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitReturns {
    pub split: &'static str,
    pub mode: Mode,
    pub videos: usize,
    pub policy: f64,
    pub random: Option<f64>,
    pub greedy_all: Option<f64>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainPolicyReport {
    pub train_videos: usize,
    pub test_videos: usize,
    pub updates: u64,
    pub env_steps: u64,
    pub returns: Vec<SplitReturns>,
    /// Every update of the run (a resumed run's earlier ones too): the learning curve.
    pub history: Vec<UpdateStats>,
    /// The baselines' mean returns on the training videos (train mode), to draw beside the
    /// curve; empty without baselines.
    pub baselines: Vec<(String, f64)>,
    pub out: PathBuf,
}

/// Budgets: a video's own `switch_budget`, else the switch-budget model fitted on the
/// training videos' `music_change` flags.
fn budget_model(train: &[Video]) -> Result<Option<SwitchBudgetModel>, TrainError> {
    match SwitchBudgetModel::fit(train) {
        Ok(m) => Ok(Some(m)),
        Err(_) if train.iter().all(|v| v.switch_budget.is_some()) => Ok(None),
        Err(e) => Err(TrainError::Config(format!(
            "videos need a `switch_budget` or `music_change` flags to fit the budget model: {e}"
        ))),
    }
}

fn mean_return(
    objective: &Objective<'_>,
    videos: &[Video],
    budget_for: &dyn Fn(&Video) -> i64,
    seq: &mut dyn Sequencer,
) -> Result<f64, TrainError> {
    let mut total = 0.0;
    for v in videos {
        total += run_episode(objective, v, budget_for(v), seq)?.total_reward;
    }
    Ok(total / videos.len().max(1) as f64)
}

/// Trains a policy on `videos` with candidates from `provider` (filtered by `filter`), writes
/// it to `options.out` and reports its returns next to the baselines'.
pub fn train_policy<'a>(
    tracks: &'a dyn TrackSource,
    videos: &[Video],
    provider: Box<dyn CandidateProvider + 'a>,
    filter: Box<dyn RowFilter + 'a>,
    options: &TrainPolicyOptions,
    on_update: OnUpdate<'_>,
) -> Result<TrainPolicyReport, TrainError> {
    let (train_set, test_set) = split_videos(videos, options.test_fraction)?;
    if train_set.is_empty() {
        return Err(TrainError::Config("no training videos".into()));
    }
    let (reference, model) = match &options.fit {
        Some(fit) => (fit.reference.clone(), fit.budget.clone()),
        // The peer fits the references on the whole dataset, before its split.
        None => (
            ReferenceEmbeddings::from_videos(videos)?,
            budget_model(&train_set)?,
        ),
    };
    let budget_for = |v: &Video| -> i64 {
        match (&model, v.switch_budget) {
            (_, Some(b)) => b as i64,
            (Some(m), None) => m.budget_for(v).unwrap_or(0),
            (None, None) => segue_query::soundtrack::default_budget(v),
        }
    };
    let data = TrainingData {
        tracks,
        reference: &reference,
        objective: options.objective,
        train: &train_set,
        test: &test_set,
        budget_for: &budget_for,
        provider,
        filter,
    };
    let mut trainer = if options.resume {
        let path = options.checkpoint.as_ref().ok_or_else(|| {
            TrainError::Config("resuming needs the checkpoint file to resume from".into())
        })?;
        Trainer::resume(data, checkpoint::load(path)?)?
    } else {
        Trainer::new(data, options.config)?
    };

    let objective_in = |mode| {
        let cfg = ObjectiveConfig {
            mode,
            ..options.objective
        };
        Objective::new(tracks, &reference, cfg)
    };
    let seed = trainer.state().config.seed;
    let mut baselines = Vec::new();
    if options.baselines {
        let train_obj = objective_in(Mode::Train)?;
        let mut random = Random::new(seed, Candidates::exact());
        let r = mean_return(&train_obj, &train_set, &budget_for, &mut random)?;
        let mut greedy = Greedy::all(Candidates::exact());
        let g = mean_return(&train_obj, &train_set, &budget_for, &mut greedy)?;
        baselines = vec![
            ("random (train videos)".to_string(), r),
            ("greedy-all (train videos)".to_string(), g),
        ];
    }
    let outputs = TrainOutputs {
        checkpoint: options.checkpoint.clone(),
        checkpoint_every: options.checkpoint_every,
        log: options.log.clone(),
    };
    train(&mut trainer, options.steps, &outputs, on_update)?;
    export(trainer.net(), &options.out)?;

    let mut returns = Vec::new();
    for mode in [Mode::Train, Mode::Test] {
        let objective = objective_in(mode)?;
        for (split, set) in [("train", &train_set), ("test", &test_set)] {
            if set.is_empty() {
                continue;
            }
            let policy = trainer.evaluate_greedy(set, &budget_for, mode)?;
            let (random, greedy_all) = if options.baselines {
                let mut r = Random::new(seed, Candidates::exact());
                let mut g = Greedy::all(Candidates::exact());
                (
                    Some(mean_return(&objective, set, &budget_for, &mut r)?),
                    Some(mean_return(&objective, set, &budget_for, &mut g)?),
                )
            } else {
                (None, None)
            };
            returns.push(SplitReturns {
                split,
                mode,
                videos: set.len(),
                policy,
                random,
                greedy_all,
            });
        }
    }
    Ok(TrainPolicyReport {
        train_videos: train_set.len(),
        test_videos: test_set.len(),
        updates: trainer.state().updates,
        env_steps: trainer.env_steps(),
        returns,
        history: trainer.state().history.clone(),
        baselines,
        out: options.out.clone(),
    })
}
