//! `segue fit`, `segue soundtrack` and `segue eval`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use segue::EncoderOptions;
use segue::eval::{EvalPolicy, evaluate};
use segue::index::outputs::check_output;
use segue::query::objective::{Mode, ObjectiveConfig, Weights};
use segue::soundtrack::{
    DEFAULT_CANDIDATES, DEFAULT_STEP_KEEP, PlanOptions, PolicyChoice, StepRerank, open_planner,
    read_videos_for, write_plans_parquet,
};

#[derive(Debug, Args)]
pub struct FitArgs {
    #[arg(long)]
    library: PathBuf,
    /// Videos (JSON Lines) to fit on; `music_change` flags feed the switch-budget model.
    #[arg(long)]
    videos: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn fit(a: FitArgs) -> anyhow::Result<()> {
    let (manifest, s) = segue::soundtrack::fit(&a.library, &a.videos)
        .with_context(|| format!("fitting {} on {}", a.library.display(), a.videos.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!(
        "published version {} of {}: fitted on {} videos ({} with music_change flags)",
        manifest.library_version,
        a.library.display(),
        s.videos,
        s.labelled_videos
    );
    println!(
        "reference embeddings: audio {}, text {}",
        if s.audio_reference { "yes" } else { "no" },
        if s.text_reference { "yes" } else { "no" }
    );
    match &s.budget {
        Some(model) => {
            println!("switch budget by visual variability (sigma):");
            for b in &model.bins {
                println!(
                    "  sigma [{:.4}, {:.4}): mu {:.2} switches, std {:.2} ({} videos)",
                    b.lower_sigma, b.upper_sigma, b.mu, b.std, b.videos
                );
            }
        }
        None => println!(
            "no switch-budget model (it needs music_change flags on videos with audio embeddings): \
             budgets default to one switch per scene change"
        ),
    }
    Ok(())
}

/// What the plan commands share.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long)]
    library: PathBuf,
    /// Only tracks matching this filter, e.g. "bpm >= 80 AND NOT tag:vocals".
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Evaluate every track at every step instead of the top candidates from the index.
    #[arg(long)]
    exact: bool,
    /// Candidates per segment (scalable mode).
    #[arg(long, default_value_t = DEFAULT_CANDIDATES)]
    candidates: usize,
    /// Find each segment's candidates by an exact scan instead of the graph (slower; the true
    /// best candidates).
    #[arg(long)]
    exact_candidates: bool,
    /// Plans kept per segment by the beam planner.
    #[arg(long, default_value_t = segue::query::sequencer::DEFAULT_BEAM_WIDTH)]
    beam_width: usize,
    /// Allow what the reference's mask allows: CONTINUE until a track has run out (its last
    /// segment may outlast it) and new tracks shorter than their first segment.
    #[arg(long)]
    allow_partial_segments: bool,
    /// Seed of the random policy (and of a trained policy's draws with --sample).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A trained policy (policy:FILE.onnx) samples its actions instead of taking the most
    /// probable one.
    #[arg(long)]
    sample: bool,
    /// Objective mode: test (the reference's evaluation) or train (gates continued alignment).
    #[arg(long, default_value = "test")]
    mode: String,
    /// Term weights as alignment,smoothness,switch,theme (default 1,0.5,0.3,0.3).
    #[arg(long, value_name = "A,S,W,T")]
    weights: Option<String>,
    /// The models folder, for embedding captions (default: $SEGUE_MODELS_DIR, ../shared/models).
    #[arg(long)]
    models_dir: Option<PathBuf>,
    /// At most N tracks of one artist in a plan.
    #[arg(long, value_name = "N")]
    max_per_artist: Option<u32>,
    /// Never place a track of one video in another video of this run.
    #[arg(long)]
    no_repeat_across_videos: bool,
    /// Never place the tracks listed in FILE (one id per line, `#` comments, the first column
    /// of a CSV/TSV): e.g. the tracks of your last videos.
    #[arg(long, value_name = "FILE")]
    exclude_ids: Option<PathBuf>,
    /// Rerank each step's new tracks against the plan: `mmr[:LAMBDA]` away from the tracks it
    /// already holds, `theme[:LAMBDA]` toward their centroid (λ in [0, 1], default 0.5; 1 is
    /// the alignment order). Only the best --diversify-keep stay for the sequencer to choose.
    #[arg(long, value_name = "METHOD")]
    diversify: Option<String>,
    /// Weight of pairing each segment's motion with its track's energy (ranks within the video
    /// and the library); 0, the default, keeps the reference's objective. Segments get their
    /// `motion` from `segue segment`.
    #[arg(long, value_name = "W", default_value_t = 0.0)]
    motion_energy: f64,
    /// Candidates each step keeps under --diversify.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_STEP_KEEP)]
    diversify_keep: usize,
}

impl PlanArgs {
    pub(super) fn options(&self, policy: PolicyChoice) -> anyhow::Result<PlanOptions> {
        let mode: Mode = self.mode.parse()?;
        let mut weights = match &self.weights {
            None => Weights::default(),
            Some(w) => parse_weights(w)?,
        };
        weights.motion_energy = self.motion_energy;
        Ok(PlanOptions {
            policy,
            filter: self.filter.clone(),
            exact: self.exact,
            candidates: self.candidates,
            exact_candidates: self.exact_candidates,
            beam_width: self.beam_width,
            whole_segments: !self.allow_partial_segments,
            seed: self.seed,
            sample: self.sample,
            objective: ObjectiveConfig { weights, mode },
            max_per_artist: match self.max_per_artist {
                Some(0) => bail!("--max-per-artist must be at least 1"),
                n => n,
            },
            exclude_ids: match &self.exclude_ids {
                Some(path) => segue::search::read_id_list(path)?,
                None => Vec::new(),
            },
            no_repeat_across_videos: self.no_repeat_across_videos,
            diversify: match &self.diversify {
                Some(method) => Some(StepRerank::new(method.parse()?, self.diversify_keep)?),
                None => None,
            },
            arrange: true,
        })
    }

    pub(super) fn encoders(&self) -> EncoderOptions {
        EncoderOptions {
            models_dir: self.models_dir.clone(),
            threads: 0,
        }
    }
}

/// `--weights A,S,W,T`: alignment, smoothness, switch and theme weights.
pub(super) fn parse_weights(w: &str) -> anyhow::Result<Weights> {
    let v: Vec<f64> = w
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--weights {w:?}: expected four numbers"))?;
    let [alignment, smoothness, switch, theme] = v[..] else {
        bail!("--weights {w:?}: expected four numbers (alignment,smoothness,switch,theme)");
    };
    Ok(Weights {
        alignment,
        smoothness,
        switch,
        theme,
        ..Weights::default()
    })
}

#[derive(Debug, Args)]
pub struct SoundtrackArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// The video: a .json file (one video) or .jsonl (each video planned).
    #[arg(long)]
    video: PathBuf,
    /// random, greedy-aligned, greedy-all, beam, or policy:FILE.onnx (a trained policy).
    #[arg(long, default_value = "beam")]
    policy: String,
    /// Print the plan(s) as JSON.
    #[arg(long)]
    json: bool,
    /// Also write every plan, one row per segment, to this Parquet file.
    #[arg(long, value_name = "FILE.parquet")]
    parquet: Option<PathBuf>,
}

pub fn soundtrack(a: SoundtrackArgs) -> anyhow::Result<()> {
    if let Some(p) = &a.parquet {
        check_output("--parquet", p, &[&a.plan.library], &[&a.video])?;
    }
    let policy: PolicyChoice = a.policy.parse()?;
    let opts = a.plan.options(policy)?;
    let planner = open_planner(&a.plan.library, &a.plan.encoders())?;
    let videos = read_videos_for(&planner, &a.video)?;
    let plans = planner.plan_videos(&videos, &opts)?;
    if let Some(p) = &a.parquet {
        write_plans_parquet(p, &plans)?;
    }
    if a.json {
        let out = if plans.len() == 1 {
            serde_json::to_string_pretty(&plans[0])?
        } else {
            serde_json::to_string_pretty(&plans)?
        };
        println!("{out}");
    } else {
        for p in &plans {
            print!("{}", crate::render::plan(p));
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Videos (JSON Lines).
    #[arg(long)]
    videos: PathBuf,
    /// Policies to compare (comma-separated; policy:FILE.onnx for a trained policy).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "random,greedy-aligned,greedy-all,beam"
    )]
    policies: Vec<String>,
    /// Folder for returns.csv, summary.json and the CDF plot (SVG and PNG).
    #[arg(long)]
    out: PathBuf,
}

pub fn eval(a: EvalArgs) -> anyhow::Result<()> {
    check_output("--out", &a.out, &[&a.plan.library], &[&a.videos])?;
    let planner = open_planner(&a.plan.library, &a.plan.encoders())?;
    let videos = read_videos_for(&planner, &a.videos)?;
    let mut policies = Vec::new();
    for p in &a.policies {
        policies.push(EvalPolicy::Builtin(p.parse()?));
    }
    let opts = a.plan.options(PolicyChoice::GreedyAll)?;
    let bar = crate::progress::bar(
        (videos.len() * policies.len()) as u64,
        "{msg:>16} [{bar:30}] {pos}/{len} ({eta})",
    );
    let report = evaluate(&planner, &videos, &policies, &opts, |policy, _| {
        bar.set_message(policy.to_string());
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let files = crate::report::write_eval(&report, &a.out)?;
    print!("{}", crate::render::eval_summary(&report));
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
