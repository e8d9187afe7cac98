//! Video segmentation (issue 17): our shot detection beside PySceneDetect's `ContentDetector`
//! (benches/python/scenedetect_ref.py) on the same generated videos, in one run, and the time of
//! our change-point segmentation of one hour of features.
//!
//! ```sh
//! scripts/bench-setup          # PySceneDetect and OpenCV in .bench-venv (once)
//! cargo build --config 'profile.dev.package.segue-segment.opt-level=3' \
//!   --config 'profile.dev.package.segue-benches.opt-level=3' -p segue-benches --bin segment_bench
//! segment_bench --runs 3       # see benches/RESULTS.md
//! segment_bench --change-points-only --cp-dims 4,8,16
//! ```
//!
//! Only segue-segment (and this program) are on the timed path, hence the two optimised
//! packages in an otherwise debug build: Lance and DataFusion stay as they are.
//!
//! Videos: sets of `lavfi` scenes made by `segue::fixtures::video_files` (640×360, 25 fps) with
//! known boundaries: hard cuts between flat colours, between test patterns, between noise-like
//! moving textures, and fades through black. Each set is scored by precision, recall and F1 of
//! the boundaries found within ±`--tolerance` s of a true one (each true boundary matched at
//! most once), and by seconds of video per wall second (the least time over `--runs` runs; ours
//! is `segment_video`, the whole of `segue segment`: decode, measures, shots, change points;
//! PySceneDetect's is opening the video and detecting, timed inside its Python process).
//! Settings: PySceneDetect's defaults (threshold 27, minimum scene 15 frames = 0.6 s) and
//! JenBridge's (threshold 30, minimum scene 8 s), each given to both detectors.
//!
//! Change points: one hour of synthetic per-window features at 4 fps (14,400 windows of
//! segue-segment's 4 features), segmented with `change_points` and `segue segment`'s default
//! options (about one segment per 20 s, at least 8 s each), and once more with the penalty that
//! search found (a single PELT run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use segue::fixtures::video_files::{FPS, Fade, Scene, Size, cut_video_sized, faded_video};
use segue::segment::analysis::Window;
use segue::segment::{
    ChangePointReport, Count, SegmentOptions, ShotOptions, VideoOptions, change_points,
    segment_video,
};

#[derive(Debug, Parser)]
struct Cli {
    /// Where the videos are generated (a fresh subdirectory each run, removed at the end).
    #[arg(long, default_value = "/var/tmp/segue-segment-bench")]
    work: PathBuf,
    /// Each detection is run this many times; the least wall time is kept.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// A found boundary within this many seconds of a true one finds it.
    #[arg(long, default_value_t = 0.5)]
    tolerance: f64,
    /// Videos per set (each a different order of the set's scenes).
    #[arg(long, default_value_t = 2)]
    videos_per_set: usize,
    /// Frame size of the generated videos, WIDTHxHEIGHT.
    #[arg(long, default_value = "640x360")]
    size: String,
    /// Only our detector (no .bench-venv needed).
    #[arg(long)]
    no_pyscenedetect: bool,
    /// Feature dimensions of the change-point timing (the first is segue-segment's own).
    #[arg(long, value_delimiter = ',', default_values_t = [Window::DIMS])]
    cp_dims: Vec<usize>,
    /// Keep the generated videos (their directory is printed).
    #[arg(long)]
    keep: bool,
    /// Only time the change points (no videos).
    #[arg(long)]
    change_points_only: bool,
    /// Print every video's true and found boundaries.
    #[arg(long)]
    detail: bool,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// One detector setting, given to both sides.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Setting {
    name: &'static str,
    threshold: f64,
    /// Minimum shot, seconds.
    min_shot: f64,
}

/// PySceneDetect's defaults (15 frames at 25 fps is 0.6 s, our own default) and JenBridge's.
const SETTINGS: [Setting; 2] = [
    Setting {
        name: "default",
        threshold: 27.0,
        min_shot: 0.6,
    },
    Setting {
        name: "jenbridge",
        threshold: 30.0,
        min_shot: 8.0,
    },
];

/// Scene lengths, seconds (whole frames at 25 fps): some shorter than JenBridge's 8 s minimum,
/// some longer.
const LENGTHS: [f64; 12] = [6.0, 2.4, 9.2, 3.6, 1.6, 8.4, 4.4, 2.8, 12.0, 5.2, 3.2, 10.0];

const COLOURS: &[&str] = &[
    "color=c=red",
    "color=c=navy",
    "color=c=white",
    "color=c=gray",
    "color=c=green",
    "color=c=orange",
    "color=c=gold",
    "color=c=purple",
    "color=c=black",
    "color=c=skyblue",
    "color=c=darkolivegreen",
    "color=c=pink",
];

const PATTERNS: &[&str] = &[
    "testsrc",
    "smptebars",
    "testsrc2",
    "mandelbrot",
    "rgbtestsrc",
    "pal75bars",
    "pal100bars",
    "yuvtestsrc",
    "smptehdbars",
    "colorspectrum",
    "sierpinski=seed=3",
    "rgbtestsrc,hue=H=t",
];

/// Moving, noise-like textures: film grain on flat colours, static noise panned across the
/// frame, cellular automata and fractals. Every random source has a fixed seed (ffmpeg's
/// default is a new one each run), so every run sees the same videos (`gradients` is left out:
/// ffmpeg 5.1 draws it differently each run even with a seed).
const TEXTURES: &[&str] = &[
    "color=c=0x8a6e4b,noise=alls=20:allf=t+u",
    "life=mold=10:ratio=0.3:life_color=0x30c030:death_color=0x202020:mold_color=0x806000:seed=5",
    "color=c=0x406080,noise=alls=60:allf=u,scroll=h=0.004",
    "cellauto=rule=30:random_fill_ratio=0.5:seed=6",
    "color=c=0x3a5a2a,noise=alls=40:allf=t+u",
    "sierpinski=type=carpet:seed=7",
    "color=c=0xb0b0a0,noise=alls=50:allf=u,scroll=v=0.003",
    "mandelbrot",
    "cellauto=rule=110:random_fill_ratio=0.6:seed=8,hue=h=200:s=3",
    "color=c=0x602020,noise=alls=30:allf=t",
    "life=ratio=0.5:life_color=0xe0e040:death_color=0x103060:seed=9",
    "colorspectrum,hue=H=t,noise=alls=25:allf=t",
];

/// A generated video and its true boundaries.
#[derive(Debug, Clone)]
struct Generated {
    path: PathBuf,
    seconds: f64,
    truth: Vec<f64>,
}

/// A set of videos of one kind.
#[derive(Debug)]
struct VideoSet {
    name: &'static str,
    videos: Vec<Generated>,
}

/// Video `k` of a set: the sources from offset `5k` (so neighbours differ between videos), one
/// per length.
fn scenes(sources: &[&'static str], k: usize) -> Vec<Scene> {
    LENGTHS
        .iter()
        .enumerate()
        .map(|(i, &seconds)| Scene {
            source: sources[(i + 5 * k) % sources.len()],
            seconds,
        })
        .collect()
}

/// The fades of video `k`: long fades with a moment of black, then quick dips to black.
fn fade_of(k: usize) -> Fade {
    [
        Fade {
            fade: 0.8,
            black: 0.4,
        },
        Fade {
            fade: 0.4,
            black: 0.0,
        },
    ][k % 2]
}

fn generate(dir: &Path, size: Size, per_set: usize) -> anyhow::Result<Vec<VideoSet>> {
    let mut sets = Vec::new();
    let kinds: [(&'static str, &[&'static str]); 4] = [
        ("colours", COLOURS),
        ("patterns", PATTERNS),
        ("textures", TEXTURES),
        ("fades", PATTERNS),
    ];
    for (name, sources) in kinds {
        let mut videos = Vec::new();
        for k in 0..per_set {
            let file = format!("{name}-{k}");
            let sc = scenes(sources, k);
            let (path, truth) = if name == "fades" {
                faded_video(dir, &file, &sc, fade_of(k), size)
            } else {
                cut_video_sized(dir, &file, &sc, size)
            }
            .with_context(|| format!("generating {file}"))?;
            let black = if name == "fades" {
                fade_of(k).black
            } else {
                0.0
            };
            let seconds = sc.iter().map(|s| s.seconds).sum::<f64>() + black * truth.len() as f64;
            eprintln!("generated {} ({seconds:.1} s)", path.display());
            videos.push(Generated {
                path,
                seconds,
                truth,
            });
        }
        sets.push(VideoSet { name, videos });
    }
    Ok(sets)
}

/// True positives, false positives and misses of `found` against `truth` (both sorted): each
/// true boundary is matched to at most one found boundary within `tol`. On a line, walking both
/// lists in order and matching whenever the heads are within `tol` gives a largest matching.
fn score(truth: &[f64], found: &[f64], tol: f64) -> (usize, usize, usize) {
    let (mut i, mut j, mut tp) = (0, 0, 0);
    while i < truth.len() && j < found.len() {
        if (truth[i] - found[j]).abs() <= tol + 1e-9 {
            tp += 1;
            i += 1;
            j += 1;
        } else if found[j] < truth[i] {
            j += 1;
        } else {
            i += 1;
        }
    }
    (tp, found.len() - tp, truth.len() - tp)
}

/// Counts summed over a set's videos, and the time taken.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
struct Tally {
    tp: usize,
    fp: usize,
    misses: usize,
    wall_seconds: f64,
}

impl Tally {
    fn add(&mut self, truth: &[f64], found: &[f64], tol: f64, seconds: f64) {
        let (tp, fp, misses) = score(truth, found, tol);
        self.tp += tp;
        self.fp += fp;
        self.misses += misses;
        self.wall_seconds += seconds;
    }

    /// Precision (1 when nothing was found), recall, F1.
    fn prf(&self) -> (f64, f64, f64) {
        let p = if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        };
        let r = self.tp as f64 / (self.tp + self.misses).max(1) as f64;
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        (p, r, f)
    }

    fn cell(&self) -> String {
        let (p, r, f) = self.prf();
        format!("{p:.2} / {r:.2} / **{f:.2}**")
    }
}

/// Our boundaries (cuts and fades, seconds) in `video` and the least wall time over `runs`.
fn ours(video: &Path, setting: &Setting, runs: usize) -> anyhow::Result<(Vec<f64>, f64)> {
    let opts = VideoOptions {
        shots: ShotOptions {
            threshold: setting.threshold,
            min_shot: setting.min_shot,
            ..ShotOptions::default()
        },
        ..VideoOptions::default()
    };
    let mut best: Option<(Vec<f64>, f64)> = None;
    for _ in 0..runs {
        let started = Instant::now();
        let got = segment_video(video, &opts).with_context(|| format!("{}", video.display()))?;
        let seconds = started.elapsed().as_secs_f64();
        let found: Vec<f64> = got.shots.iter().map(|s| s.time).collect();
        if let Some((prev, _)) = &best
            && *prev != found
        {
            bail!("{}: two runs found different boundaries", video.display());
        }
        if best.as_ref().is_none_or(|b| seconds < b.1) {
            best = Some((found, seconds));
        }
    }
    best.context("--runs must be at least 1")
}

/// PySceneDetect's cuts and times for every video of `set`, per setting name, in one process.
fn pyscenedetect(set: &VideoSet, runs: usize) -> anyhow::Result<serde_json::Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".bench-venv/bin/python");
    if !python.exists() {
        bail!(
            "{} missing: run scripts/bench-setup (or pass --no-pyscenedetect)",
            python.display()
        );
    }
    let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
    let out = Command::new(&python)
        .arg(root.join("benches/python/scenedetect_ref.py"))
        .args(["--runs", &runs.to_string(), "--settings", &names.join(",")])
        .args(set.videos.iter().map(|v| &v.path))
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("scenedetect_ref.py failed on set {}", set.name);
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// One row of the table: a set under a setting, both sides.
#[derive(Debug, serde::Serialize)]
struct Row {
    set: &'static str,
    setting: &'static str,
    videos: usize,
    video_seconds: f64,
    boundaries: usize,
    ours: Tally,
    pyscenedetect: Option<Tally>,
}

fn realtime(video_seconds: f64, t: &Tally) -> String {
    format!("{:.1}", video_seconds / t.wall_seconds.max(1e-9))
}

fn bench_set(cli: &Cli, set: &VideoSet) -> anyhow::Result<Vec<Row>> {
    let theirs = if cli.no_pyscenedetect {
        None
    } else {
        eprintln!("PySceneDetect on {}", set.name);
        Some(pyscenedetect(set, cli.runs)?)
    };
    let mut rows = Vec::new();
    for setting in &SETTINGS {
        eprintln!("ours on {} ({})", set.name, setting.name);
        let mut mine = Tally::default();
        let mut other = theirs.as_ref().map(|_| Tally::default());
        for (k, v) in set.videos.iter().enumerate() {
            let (found, seconds) = ours(&v.path, setting, cli.runs)?;
            mine.add(&v.truth, &found, cli.tolerance, seconds);
            let mut their_cuts = None;
            if let (Some(j), Some(t)) = (&theirs, other.as_mut()) {
                let r = &j["files"][k]["results"][setting.name];
                let cuts: Vec<f64> = serde_json::from_value(r["cuts"].clone())?;
                let secs = r["seconds"]
                    .as_f64()
                    .context("no seconds in the Python output")?;
                t.add(&v.truth, &cuts, cli.tolerance, secs);
                their_cuts = Some(cuts);
            }
            if cli.detail {
                let fmt = |xs: &[f64]| {
                    xs.iter()
                        .map(|x| format!("{x:.2}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                println!(
                    "{} {}\n  truth:         {}\n  ours:          {}\n  pyscenedetect: {}",
                    v.path.display(),
                    setting.name,
                    fmt(&v.truth),
                    fmt(&found),
                    their_cuts.as_deref().map_or("-".into(), fmt)
                );
            }
        }
        rows.push(Row {
            set: set.name,
            setting: setting.name,
            videos: set.videos.len(),
            video_seconds: set.videos.iter().map(|v| v.seconds).sum(),
            boundaries: set.videos.iter().map(|v| v.truth.len()).sum(),
            ours: mine,
            pyscenedetect: other,
        });
    }
    Ok(rows)
}

/// One hour of synthetic per-window features at 4 fps: stationary stretches of 10–60 s, each
/// with its own mean and spread, AR(1) noise within (consecutive windows are correlated, as
/// real ones are).
fn hour_of_features(dims: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = 3600 * 4;
    let mut frames = Vec::with_capacity(n);
    while frames.len() < n {
        let len = rng.random_range(40..=240);
        let mean: Vec<f64> = (0..dims).map(|_| normal(&mut rng)).collect();
        let spread: Vec<f64> = (0..dims).map(|_| rng.random_range(0.1..1.0)).collect();
        let mut noise = vec![0.0; dims];
        for _ in 0..len.min(n - frames.len()) {
            for x in &mut noise {
                *x = 0.6 * *x + 0.8 * normal(&mut rng);
            }
            frames.push((0..dims).map(|j| mean[j] + spread[j] * noise[j]).collect());
        }
    }
    frames
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[derive(Debug, serde::Serialize)]
struct ChangePointRow {
    dims: usize,
    frames: usize,
    algorithm: &'static str,
    segments: usize,
    /// The default options: about one segment per 20 s (a search over the penalty).
    seconds: f64,
    /// The penalty that search found, given directly: one PELT run.
    penalty: Option<f64>,
    one_run_seconds: Option<f64>,
}

fn bench_change_points(cli: &Cli) -> anyhow::Result<Vec<ChangePointRow>> {
    let mut rows = Vec::new();
    for &dims in &cli.cp_dims {
        let frames = hour_of_features(dims, 17);
        let least = |opts: &SegmentOptions| -> anyhow::Result<(f64, Vec<f64>, ChangePointReport)> {
            let mut best = None;
            for _ in 0..cli.runs {
                let started = Instant::now();
                let (bounds, report) = change_points(&frames, 4.0, opts)?;
                let t = started.elapsed().as_secs_f64();
                if best.as_ref().is_none_or(|b: &(f64, _, _)| t < b.0) {
                    best = Some((t, bounds, report));
                }
            }
            best.context("no run")
        };
        let (seconds, bounds, report) = least(&SegmentOptions::default())?;
        let one_run = match report.penalty {
            Some(p) => Some(least(&SegmentOptions {
                count: Count::Penalty(p),
                ..SegmentOptions::default()
            })?),
            None => None,
        };
        rows.push(ChangePointRow {
            dims,
            frames: frames.len(),
            algorithm: report.algorithm,
            segments: bounds.len() + 1,
            seconds,
            penalty: report.penalty,
            one_run_seconds: one_run.map(|r| r.0),
        });
    }
    Ok(rows)
}

fn print_change_points(cp: &[ChangePointRow]) {
    println!(
        "\n| change points: 1 h at 4 fps | dims | windows | algorithm | segments | seconds (default options: ~1 segment / 20 s, min 8 s) | seconds (one PELT run at the penalty found) |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|");
    for c in cp {
        println!(
            "| synthetic features, stretches of 10–60 s | {} | {} | {} | {} | {:.3} | {} |",
            c.dims,
            c.frames,
            c.algorithm,
            c.segments,
            c.seconds,
            c.one_run_seconds.map_or("-".into(), |t| format!("{t:.3}"))
        );
    }
}

fn parse_size(s: &str) -> anyhow::Result<Size> {
    let (w, h) = s.split_once('x').context("--size is WIDTHxHEIGHT")?;
    Ok(Size {
        width: w.parse()?,
        height: h.parse()?,
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let size = parse_size(&cli.size)?;
    if cli.change_points_only {
        print_change_points(&bench_change_points(&cli)?);
        return Ok(());
    }
    std::fs::create_dir_all(&cli.work)?;
    let dir = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&cli.work)?;
    let sets = generate(dir.path(), size, cli.videos_per_set)?;
    let mut rows = Vec::new();
    for set in &sets {
        rows.extend(bench_set(&cli, set)?);
    }
    let cp = bench_change_points(&cli)?;
    if cli.keep {
        eprintln!("videos kept in {}", dir.keep().display());
    } else {
        dir.close()?;
    }

    println!(
        "\nvideos {}x{} at {FPS} fps; boundaries within ±{} s; P / R / F1; speed in seconds of video per wall second (least of {} runs)\n",
        size.width, size.height, cli.tolerance, cli.runs
    );
    println!(
        "| set | setting | videos | video s | true boundaries | Segue P / R / F1 | PySceneDetect P / R / F1 | Segue video s / s | PySceneDetect video s / s |"
    );
    println!("|---|---|---:|---:|---:|---|---|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            r.set,
            r.setting,
            r.videos,
            r.video_seconds,
            r.boundaries,
            r.ours.cell(),
            r.pyscenedetect.as_ref().map_or("-".into(), Tally::cell),
            realtime(r.video_seconds, &r.ours),
            r.pyscenedetect
                .as_ref()
                .map_or("-".into(), |t| realtime(r.video_seconds, t)),
        );
    }
    print_change_points(&cp);
    if let Some(path) = &cli.json {
        let j = serde_json::json!({ "settings": SETTINGS, "rows": rows, "change_points": cp });
        std::fs::write(path, serde_json::to_vec_pretty(&j)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_true_boundary_is_matched_at_most_once() {
        // Two found near one true boundary: one hit, one false positive.
        assert_eq!(score(&[10.0], &[9.8, 10.3], 0.5), (1, 1, 0));
        // Greedy in order still finds the largest matching.
        assert_eq!(score(&[1.0, 1.8], &[1.4, 2.2], 0.5), (2, 0, 0));
        assert_eq!(score(&[5.0], &[], 0.5), (0, 0, 1));
        assert_eq!(score(&[], &[3.0], 0.5), (0, 1, 0));
        assert_eq!(score(&[5.0], &[5.6], 0.5), (0, 1, 1));
    }
}
