//! `segue train-policy`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use segue::policy::{TrainOptions, train};
use segue::query::objective::{Mode, ObjectiveConfig, Weights};
use segue::query::policy::{NetConfig, ObsConfig, PpoConfig};
use segue::text::EncoderOptions;

use super::soundtrack::parse_weights;

#[derive(Debug, Args)]
pub struct TrainPolicyArgs {
    #[arg(long)]
    library: PathBuf,
    /// Videos (JSON Lines): a share is held out for testing (by a hash of the video id).
    #[arg(long)]
    videos: PathBuf,
    /// The ONNX policy to write; beside it OUT.log.csv, OUT.curve.svg/.png and OUT.ckpt.
    #[arg(long, value_name = "FILE.onnx")]
    out: PathBuf,
    /// Environment steps (segments planned) to train for, in total over resumed runs.
    #[arg(long, default_value_t = 20_000)]
    steps: u64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Candidate slots K the policy chooses among (plus CONTINUE).
    #[arg(long, default_value_t = 16)]
    slots: usize,
    /// Width of the context encoder and of the slot scorer.
    #[arg(long, default_value_t = 32)]
    hidden: usize,
    /// Environment steps per PPO update.
    #[arg(long, default_value_t = 512)]
    rollout_steps: usize,
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f64,
    /// Share of the videos held out for testing.
    #[arg(long, default_value_t = 0.25)]
    test_fraction: f64,
    /// Only tracks matching this filter are candidates, e.g. "NOT tag:vocals".
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Every track is a candidate at every step (small libraries only).
    #[arg(long)]
    exact: bool,
    /// Allow what the reference's mask allows (CONTINUE past a track's end, new tracks
    /// shorter than their first segment); planning must then use the same flag.
    #[arg(long)]
    allow_partial_segments: bool,
    /// Term weights as alignment,smoothness,switch,theme (default 1,0.5,0.3,0.3).
    #[arg(long, value_name = "A,S,W,T")]
    weights: Option<String>,
    /// Initial weight of the immediate reward in the logits: the policy starts as a soft
    /// greedy one (0: uniform over the valid actions).
    #[arg(long, default_value_t = segue::query::policy::DEFAULT_STEP_REWARD_PRIOR)]
    step_reward_prior: f64,
    /// Continue the run saved in the checkpoint (OUT.ckpt unless --checkpoint says otherwise).
    #[arg(long)]
    resume: bool,
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Updates between checkpoints (0: only at the end).
    #[arg(long, default_value_t = 5)]
    checkpoint_every: u64,
    /// Skip the random and greedy-all baselines (exact scans: slow on large libraries).
    #[arg(long)]
    no_baselines: bool,
    /// The models folder, for embedding captions (default: $SEGUE_MODELS_DIR, ../shared/models).
    #[arg(long)]
    models_dir: Option<PathBuf>,
}

/// `OUT` with its extension replaced by `suffix` (`policy.onnx` → `policy.log.csv`).
fn beside(out: &Path, suffix: &str) -> PathBuf {
    out.with_extension(suffix)
}

pub fn train_policy(a: TrainPolicyArgs) -> anyhow::Result<()> {
    let weights = match &a.weights {
        None => Weights::default(),
        Some(w) => parse_weights(w)?,
    };
    let config = PpoConfig {
        seed: a.seed,
        rollout_steps: a.rollout_steps,
        learning_rate: a.learning_rate,
        step_reward_prior: a.step_reward_prior,
        net: NetConfig {
            hidden: a.hidden,
            head_hidden: a.hidden,
        },
        obs: ObsConfig {
            slots: a.slots,
            whole_segments: !a.allow_partial_segments,
        },
        ..PpoConfig::default()
    };
    let mut opts = TrainOptions::new(&a.out);
    opts.steps = a.steps;
    opts.config = config;
    opts.objective = ObjectiveConfig {
        weights,
        mode: Mode::Train,
    };
    opts.filter = a.filter.clone();
    opts.exact = a.exact;
    opts.test_fraction = a.test_fraction;
    opts.checkpoint = Some(
        a.checkpoint
            .clone()
            .unwrap_or_else(|| beside(&a.out, "ckpt")),
    );
    opts.checkpoint_every = a.checkpoint_every;
    opts.resume = a.resume;
    opts.log = Some(beside(&a.out, "log.csv"));
    opts.plot = Some(beside(&a.out, "curve"));
    opts.progress = std::io::stderr().is_terminal();
    opts.baselines = !a.no_baselines;
    opts.encoders = EncoderOptions {
        models_dir: a.models_dir.clone(),
        threads: 0,
    };
    let started = Instant::now();
    let s = train(&a.library, &a.videos, &opts).with_context(|| {
        format!(
            "training a policy on {} with {}",
            a.library.display(),
            a.videos.display()
        )
    })?;
    let r = &s.report;
    println!(
        "trained {} updates, {} environment steps in {:.1} s on {} training videos ({} held out)",
        r.updates,
        r.env_steps,
        started.elapsed().as_secs_f64(),
        r.train_videos,
        r.test_videos
    );
    if !s.library_fitted {
        println!(
            "note: the library has no fitted soundtrack model; references were fitted on these \
             videos for training, but planning uses none until `segue fit` is run"
        );
    }
    println!(
        "{:<6} {:<6} {:>6} {:>10} {:>10} {:>10}",
        "split", "mode", "videos", "policy", "random", "greedy-all"
    );
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    for x in &r.returns {
        println!(
            "{:<6} {:<6} {:>6} {:>10.3} {:>10} {:>10}",
            x.split,
            format!("{:?}", x.mode).to_lowercase(),
            x.videos,
            x.policy,
            opt(x.random),
            opt(x.greedy_all)
        );
    }
    println!("wrote {}", r.out.display());
    for f in [opts.log.as_ref(), opts.checkpoint.as_ref()]
        .into_iter()
        .flatten()
    {
        println!("wrote {}", f.display());
    }
    if let Some(p) = &r.plot {
        println!("wrote {} and {}", p.svg.display(), p.png.display());
    }
    Ok(())
}
