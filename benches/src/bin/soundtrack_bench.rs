//! Soundtracks at scale (issue 5): milliseconds per decision step of greedy-all and beam in
//! scalable mode and of exact greedy, on generated libraries of growing size; how often
//! scalable greedy picks what exact greedy picks, and the ratio of their returns, for several
//! candidate counts; beam's return against greedy-all's.
//!
//! ```sh
//! CARGO_TARGET_DIR=/var/tmp/segue-target-release cargo build --release -p segue -p segue-benches
//! /var/tmp/segue-target-release/release/soundtrack_bench --sizes 10000,100000,1000000
//! ```
//! Libraries (audio 64-d, text 32-d by default) are built once under `--work` with their HNSW
//! graphs and reused; each is fitted on its own generated videos. Times are single-threaded
//! wall clock for the whole episode (candidate search, scoring, planning) divided by its steps.

use std::path::PathBuf;

use clap::Parser;

use segue::query::sequencer::{AnnCandidates, Candidates, Greedy, Sequencer};
use segue::soundtrack::{PlanOptions, Planner, PolicyChoice, Video};
use segue_benches::planning::{StepRuns, ms_per_step, plan_all, run_steps, total_return as total};
use segue_benches::scale_library;

#[derive(Debug, Parser)]
struct Cli {
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<u64>,
    #[arg(long, default_value_t = 64)]
    audio_dim: usize,
    #[arg(long, default_value_t = 32)]
    text_dim: usize,
    #[arg(long, default_value = "/var/tmp/segue-scale")]
    work: PathBuf,
    /// Videos per library (5–60 segments each) for returns and per-step times.
    #[arg(long, default_value_t = 30)]
    videos: usize,
    /// Candidate counts compared against exact greedy on the agreement library.
    #[arg(long, value_delimiter = ',', default_value = "32,64,128")]
    cs: Vec<usize>,
    /// The library size on which scalable and exact greedy are compared.
    #[arg(long, default_value_t = 100_000)]
    agreement_size: u64,
    /// Videos exact greedy plans on libraries above 100k tracks (it scans every track per step).
    #[arg(long, default_value_t = 3)]
    exact_videos_large: usize,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    println!(
        "kernel: {}, cores: {}",
        segue::index::kernels::selected().name(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "\n| tracks | greedy-all ms/step | beam (w 8) ms/step | beam 20-segment soundtrack ms | exact greedy ms/step | beam vs greedy-all return |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut agreement = None;
    for &n in &cli.sizes {
        let lib = scale_library(&cli.work, n, cli.audio_dim, cli.text_dim)?;
        let StepRuns {
            planner,
            videos,
            greedy,
            beam,
            beam20,
            ..
        } = run_steps(&lib, cli.videos)?;
        let opts = |policy| PlanOptions {
            policy,
            ..PlanOptions::default()
        };
        let exact_count = if n > 100_000 {
            cli.exact_videos_large
        } else {
            videos.len()
        };
        let exact = plan_all(
            &planner,
            &videos[..exact_count.min(videos.len())],
            &PlanOptions {
                exact: true,
                ..opts(PolicyChoice::GreedyAll)
            },
        )?;
        let (g, b) = (total(&greedy), total(&beam));
        println!(
            "| {n} | {:.3} | {:.3} | {:.1} | {:.1} | {:+.2}% ({b:.1} vs {g:.1}) |",
            ms_per_step(&greedy),
            ms_per_step(&beam),
            beam20.iter().map(|p| p.timing.total_ms).sum::<f64>() / beam20.len() as f64,
            ms_per_step(&exact),
            100.0 * (b - g) / g.abs(),
        );
        if n == cli.agreement_size {
            agreement = Some(compare(&planner, &videos, &cli.cs)?);
        }
    }
    if let Some(rows) = agreement {
        println!(
            "\nScalable vs exact greedy-all on the {}-track library ({} videos): at each step of the exact episode, \
             does the scalable candidate set lead to the same choice? And each mode's own return.\n",
            cli.agreement_size, cli.videos
        );
        println!(
            "| C | same choice | scalable / exact return | scalable ms/step | exact ms/step |"
        );
        println!("|---:|---:|---:|---:|---:|");
        for r in rows {
            println!(
                "| {} | {:.1}% ({} of {}) | {:.4} | {:.3} | {:.1} |",
                r.c,
                100.0 * r.same as f64 / r.steps as f64,
                r.same,
                r.steps,
                r.return_ratio,
                r.scalable_ms,
                r.exact_ms
            );
        }
    }
    Ok(())
}

struct Agreement {
    c: usize,
    steps: usize,
    same: usize,
    return_ratio: f64,
    scalable_ms: f64,
    exact_ms: f64,
}

/// Follows exact greedy's own episode and asks, at each of its states, what scalable greedy
/// with `c` candidates would choose there.
fn compare(planner: &Planner, videos: &[Video], cs: &[usize]) -> anyhow::Result<Vec<Agreement>> {
    let objective = segue::query::objective::Objective::new(
        planner.tracks(),
        planner.reference(),
        Default::default(),
    )?;
    let exact_opts = PlanOptions {
        policy: PolicyChoice::GreedyAll,
        exact: true,
        ..PlanOptions::default()
    };
    let exact_plans = plan_all(planner, videos, &exact_opts)?;
    let mut out = Vec::new();
    for &c in cs {
        let (mut steps, mut same) = (0usize, 0usize);
        let mut exact_greedy = Greedy::all(Candidates::exact().whole_segments(true));
        for v in videos {
            let video = planner.prepare(v)?;
            let budget = planner.budget_for(&video)?;
            let mut scalable = Greedy::all(
                Candidates::new(AnnCandidates::new(
                    planner.library(),
                    planner.reference(),
                    None,
                    c,
                )?)
                .whole_segments(true),
            );
            scalable.begin(&video);
            exact_greedy.begin(&video);
            let mut ep = objective.start(&video, budget)?;
            while !ep.is_done() {
                let want = exact_greedy.choose(&ep)?;
                if scalable.choose(&ep)? == want {
                    same += 1;
                }
                steps += 1;
                ep.step(want)?;
            }
        }
        let scalable_opts = PlanOptions {
            policy: PolicyChoice::GreedyAll,
            candidates: c,
            ..PlanOptions::default()
        };
        let scalable_plans = plan_all(planner, videos, &scalable_opts)?;
        out.push(Agreement {
            c,
            steps,
            same,
            return_ratio: total(&scalable_plans) / total(&exact_plans),
            scalable_ms: ms_per_step(&scalable_plans),
            exact_ms: ms_per_step(&exact_plans),
        });
    }
    Ok(out)
}
