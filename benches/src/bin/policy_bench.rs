//! The trained masked policy (issue 6), two measurements:
//!
//! * `returns`: on the held-out split of a library's videos (the split `train-policy` made:
//!   a hash of the video id), the returns of random, greedy-aligned, greedy-all, beam and the
//!   policy — mean, CDF plot (SVG/PNG), per-video CSV — through `segue eval`'s code.
//! * `scale`: ms per decision step of the policy at growing library sizes, split into the
//!   candidate search (HNSW top-K), the observation (scoring the K candidates with the
//!   objective, features, mask) and the network (ONNX Runtime), next to greedy-all. The
//!   policy is trained once on the smallest library (its network does not depend on library
//!   size, only on the embedding dimensions) and then run unchanged on every size; its mean
//!   return on each size's (unseen) videos is compared with greedy-all's.
//!
//! ```sh
//! CARGO_TARGET_DIR=/var/tmp/segue-target-release cargo build --release -p segue -p segue-benches
//! B=/var/tmp/segue-target-release/release
//! $B/policy_bench returns --library L --videos V.jsonl --policy P.onnx --out benches/results/policy-demo
//! $B/policy_bench scale --sizes 10000,100000,1000000
//! ```

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};

use segue::Library;
use segue::eval::{EvalPolicy, evaluate};
use segue::query::QueryError;
use segue::query::objective::{Episode, Row};
use segue::query::policy::{Choice, ObsConfig, ObservationBuilder, PolicyModel, PolicySequencer};
use segue::query::sequencer::{AllRows, AnnCandidates, CandidateProvider};
use segue::soundtrack::{PlanOptions, Planner, PolicyChoice, read_videos_for};
use segue::train_crate::split_videos;
use segue_benches::planning::ensure_fit;
use segue_benches::{measure, scale_library, scale_videos, segue_bin};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Returns of every policy on the held-out videos.
    Returns {
        #[arg(long)]
        library: PathBuf,
        /// The videos the policy was trained on (only the held-out split is evaluated).
        #[arg(long)]
        videos: PathBuf,
        #[arg(long)]
        policy: PathBuf,
        /// The share `train-policy` held out (its default 0.25).
        #[arg(long, default_value_t = 0.25)]
        test_fraction: f64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Decision-step time of the policy at growing library sizes.
    Scale {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
        sizes: Vec<u64>,
        #[arg(long, default_value_t = 64)]
        audio_dim: usize,
        #[arg(long, default_value_t = 32)]
        text_dim: usize,
        #[arg(long, default_value = "/var/tmp/segue-scale")]
        work: PathBuf,
        /// Environment steps to train the policy for (on the smallest library).
        #[arg(long, default_value_t = 300_000)]
        train_steps: u64,
        /// Videos per size for the timing and the returns.
        #[arg(long, default_value_t = 30)]
        videos: usize,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Returns {
            library,
            videos,
            policy,
            test_fraction,
            out,
        } => returns(&library, &videos, &policy, test_fraction, &out),
        Cmd::Scale {
            sizes,
            audio_dim,
            text_dim,
            work,
            train_steps,
            videos,
        } => scale(&sizes, audio_dim, text_dim, &work, train_steps, videos),
    }
}

fn returns(
    library: &Path,
    videos_path: &Path,
    policy: &Path,
    test_fraction: f64,
    out: &Path,
) -> anyhow::Result<()> {
    let planner = segue::soundtrack::open_planner(library, &Default::default())?;
    let all = read_videos_for(&planner, videos_path)?;
    let (_, test) = split_videos(&all, test_fraction)?;
    anyhow::ensure!(!test.is_empty(), "no held-out videos");
    let mut policies: Vec<EvalPolicy<'_>> = PolicyChoice::BUILTIN
        .into_iter()
        .map(EvalPolicy::Builtin)
        .collect();
    policies.push(EvalPolicy::Builtin(PolicyChoice::Trained(policy.into())));
    let report = evaluate(
        &planner,
        &test,
        &policies,
        &PlanOptions::default(),
        |_, _| {},
    )?;
    let files = segue_cli::report::write_eval(&report, out)?;
    println!(
        "{} held-out videos of {} ({} segments) on {} ({} tracks)\n",
        test.len(),
        all.len(),
        test.iter().map(|v| v.segments.len()).sum::<usize>(),
        library.display(),
        planner.library().rows()
    );
    print!("{}", segue_cli::render::eval_summary(&report));
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}

/// A candidate provider that adds the time it takes to a shared counter.
struct Timed<P> {
    inner: P,
    spent: Rc<Cell<Duration>>,
}

impl<P: CandidateProvider> CandidateProvider for Timed<P> {
    fn candidates(&mut self, episode: &Episode<'_>, out: &mut Vec<Row>) -> Result<(), QueryError> {
        let start = Instant::now();
        let r = self.inner.candidates(episode, out);
        self.spent.set(self.spent.get() + start.elapsed());
        r
    }

    fn reset(&mut self) {
        self.inner.reset();
    }
}

fn scale(
    sizes: &[u64],
    audio_dim: usize,
    text_dim: usize,
    work: &Path,
    train_steps: u64,
    n_videos: usize,
) -> anyhow::Result<()> {
    let smallest = *sizes.iter().min().context("no sizes")?;
    let policy = train_on(work, smallest, audio_dim, text_dim, train_steps)?;
    println!(
        "kernel: {}, cores: {}; policy {} (trained on {smallest} tracks), one ONNX Runtime thread\n",
        segue::index::kernels::selected().name(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        policy.display()
    );
    println!(
        "| tracks | policy ms/step | candidate search | observation | network | greedy-all ms/step | policy / greedy-all return |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        let lib = scale_library(work, n, audio_dim, text_dim)?;
        let fit_videos = scale_videos(&lib, 30, 1, (5, 60))?;
        ensure_fit(&lib, &fit_videos)?;
        // Videos of another seed: never seen in training or fitting.
        let videos_path = scale_videos(&lib, n_videos, 3, (5, 60))?;
        let planner = Planner::open(Arc::new(Library::open(&lib)?))?;
        let videos = read_videos_for(&planner, &videos_path)?;
        let opts = PlanOptions::default();

        let spent = Rc::new(Cell::new(Duration::ZERO));
        let model = PolicyModel::open(&policy, 1)?;
        let slots = model.meta().dims.slots;
        let provider = Timed {
            inner: AnnCandidates::new(planner.library(), planner.reference(), None, slots)?,
            spent: spent.clone(),
        };
        let builder = ObservationBuilder::new(
            planner.tracks(),
            ObsConfig {
                slots,
                whole_segments: opts.whole_segments,
            },
            Box::new(provider),
            Box::new(AllRows),
        )?;
        let mut seq = PolicySequencer::new(model, builder, Choice::Greedy)?;
        // Warm the page cache, the graph and the session before timing.
        planner.plan_with(&videos[0], &opts, &mut seq)?;
        let (warm_net, warm_steps) = seq.network_time();
        let warm_search = spent.get();
        let (mut policy_ms, mut policy_return, mut steps) = (0.0, 0.0, 0usize);
        for v in &videos {
            let p = planner.plan_with(v, &opts, &mut seq)?;
            policy_ms += p.timing.total_ms;
            policy_return += p.total_reward;
            steps += p.segments.len();
        }
        let (net, net_steps) = seq.network_time();
        let network_ms = (net - warm_net).as_secs_f64() * 1e3;
        let search_ms = (spent.get() - warm_search).as_secs_f64() * 1e3;
        assert_eq!(net_steps - warm_steps, steps as u64);

        let greedy_opts = PlanOptions {
            policy: PolicyChoice::GreedyAll,
            ..PlanOptions::default()
        };
        let (mut greedy_ms, mut greedy_return) = (0.0, 0.0);
        for v in &videos {
            let p = planner.plan(v, &greedy_opts)?;
            greedy_ms += p.timing.total_ms;
            greedy_return += p.total_reward;
        }
        let per = |ms: f64| ms / steps as f64;
        println!(
            "| {n} | {:.3} | {:.3} | {:.3} | {:.4} | {:.3} | {:.4} ({:.1} vs {:.1}) |",
            per(policy_ms),
            per(search_ms),
            per(policy_ms - search_ms - network_ms),
            per(network_ms),
            per(greedy_ms),
            policy_return / greedy_return,
            policy_return,
            greedy_return
        );
    }
    Ok(())
}

/// Trains the policy once on the `tracks`-track library (fitted on its own videos) with the
/// `segue` binary, timing it; reuses an earlier run's file.
fn train_on(
    work: &Path,
    tracks: u64,
    audio_dim: usize,
    text_dim: usize,
    steps: u64,
) -> anyhow::Result<PathBuf> {
    let lib = scale_library(work, tracks, audio_dim, text_dim)?;
    let fit_videos = scale_videos(&lib, 30, 1, (5, 60))?;
    ensure_fit(&lib, &fit_videos)?;
    let out = PathBuf::from(format!("{}.policy-{steps}.onnx", lib.display()));
    if out.is_file() {
        return Ok(out);
    }
    let train_videos = scale_videos(&lib, 200, 2, (5, 60))?;
    let m = measure(
        Command::new(segue_bin()?)
            .args(["train-policy", "--library"])
            .arg(&lib)
            .arg("--videos")
            .arg(&train_videos)
            .arg("--out")
            .arg(&out)
            .args(["--steps", &steps.to_string(), "--seed", "7"]),
    )?;
    eprintln!(
        "trained {} in {:.0} s ({steps} steps), peak RSS {:.2} GiB",
        out.display(),
        m.seconds,
        segue_benches::gib(m.peak_rss_bytes)
    );
    Ok(out)
}
