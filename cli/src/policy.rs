//! `segue train-policy`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use segue::EncoderOptions;
use segue::policy::{TrainOptions, UpdateStats, train};
use segue::query::objective::{Mode, ObjectiveConfig, Weights};
use segue::query::policy::ObsConfig;
use segue::train_crate::{DEFAULT_STEP_REWARD_PRIOR, NetConfig, PpoConfig};
use segue_charts::{ChartFiles, Legend, LineChart, Style};

use crate::soundtrack::parse_weights;

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
    #[arg(long, default_value_t = DEFAULT_STEP_REWARD_PRIOR)]
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
    // The policy and the files written beside it (log, curve, checkpoint).
    for suffix in ["onnx", "log.csv", "curve.svg", "curve.png", "ckpt"] {
        let path = if suffix == "onnx" {
            a.out.clone()
        } else {
            beside(&a.out, suffix)
        };
        segue::index::outputs::check_output("--out", &path, &[&a.library], &[&a.videos])?;
    }
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
    let p = &mut opts.policy;
    p.steps = a.steps;
    p.config = config;
    p.objective = ObjectiveConfig {
        weights,
        mode: Mode::Train,
    };
    p.test_fraction = a.test_fraction;
    p.checkpoint = Some(
        a.checkpoint
            .clone()
            .unwrap_or_else(|| beside(&a.out, "ckpt")),
    );
    p.checkpoint_every = a.checkpoint_every;
    p.resume = a.resume;
    p.log = Some(beside(&a.out, "log.csv"));
    p.baselines = !a.no_baselines;
    opts.filter = a.filter.clone();
    opts.exact = a.exact;
    opts.encoders = EncoderOptions {
        models_dir: a.models_dir.clone(),
        threads: 0,
    };
    let started = Instant::now();
    let bar = crate::progress::bar(
        a.steps,
        "{elapsed_precise} [{bar:30}] {pos}/{len} steps ({per_sec}) {msg}",
    );
    let mut on_update = |s: &UpdateStats, total: u64| {
        bar.set_position(s.env_steps.min(total));
        let eval = s
            .eval_return
            .map(|e| format!(", held-out greedy {e:.3}"))
            .unwrap_or_default();
        bar.set_message(format!("mean return {:.3}{eval}", s.mean_return));
    };
    let trained = train(&a.library, &a.videos, &opts, &mut on_update);
    bar.finish_and_clear();
    let s = trained.with_context(|| {
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
    for f in [opts.policy.log.as_ref(), opts.policy.checkpoint.as_ref()]
        .into_iter()
        .flatten()
    {
        println!("wrote {}", f.display());
    }
    let curve = ChartFiles::with_prefix(&beside(&a.out, "curve"));
    learning_curve(&r.history, &r.baselines).write(&curve)?;
    println!("wrote {} and {}", curve.svg.display(), curve.png.display());
    Ok(())
}

/// The mean rollout return and the held-out greedy return against environment steps, with the
/// baselines as dashed lines.
pub fn learning_curve(history: &[UpdateStats], baselines: &[(String, f64)]) -> LineChart {
    let train = history
        .iter()
        .map(|h| (h.env_steps as f64, h.mean_return))
        .collect();
    let eval = history
        .iter()
        .filter_map(|h| Some((h.env_steps as f64, h.eval_return?)))
        .collect();
    let mut chart = LineChart::new(
        "Policy training: mean episode return",
        "environment steps",
        "mean return",
    )
    .with_legend(Legend::LowerRight)
    .with_series("rollouts (sampled, train videos)", train, Style::Line)
    .with_series("greedy policy (held-out videos)", eval, Style::Line);
    for (name, y) in baselines {
        chart = chart.with_reference_line(name, *y);
    }
    chart
}
