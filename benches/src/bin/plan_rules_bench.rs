//! What the soundtrack constraints and the diversity/coherence knob cost (issue 15): one batch
//! of videos planned under each setting (none; at most one track per artist; no track in two
//! videos; the exclusion of the previous batch's tracks; `mmr:λ` and `theme:λ` at several λ;
//! all together), with mean return, distinct artists and tracks per plan, tracks repeated
//! across the batch, the plans' intra-list similarity and the planning time.
//!
//! ```sh
//! cargo build -p segue-benches --bin plan_rules_bench -p segue-cli   # see benches/RESULTS.md
//! plan_rules_bench --tracks 100000            # a generated library and its generated videos
//! plan_rules_bench --library LIB --videos V.jsonl
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;

use segue::EncoderOptions;
use segue::query::objective::{TrackSource, dot};
use segue::soundtrack::{
    PlanOptions, PlannedAction, Planner, PolicyChoice, SoundtrackPlan, StepRerank, open_planner,
    read_videos_for,
};
use segue_benches::scale_library;

#[derive(Debug, Parser)]
struct Cli {
    /// A library to plan on; without it, a generated library of --tracks.
    #[arg(long)]
    library: Option<PathBuf>,
    /// The batch of videos; without it, generated channel videos (see --video-count).
    #[arg(long)]
    videos: Option<PathBuf>,
    /// Tracks of the generated library (audio 64-d, text 32-d, seed 42).
    #[arg(long, default_value_t = 100_000)]
    tracks: u64,
    /// Generated videos in the batch (10–30 segments each, seed 7), all of one channel: their
    /// segments are drawn around the 8 anchors (tracks, among 256 spread over the library)
    /// closest to the first, as a channel's videos share a theme.
    #[arg(long, default_value_t = 20)]
    video_count: usize,
    #[arg(long, default_value = "/var/tmp/segue-scale")]
    work: PathBuf,
    #[arg(long, value_delimiter = ',', default_value = "greedy-all,beam")]
    policies: Vec<String>,
    /// Candidates each step keeps under the knob.
    #[arg(long, default_value_t = segue::soundtrack::DEFAULT_STEP_KEEP)]
    keep: usize,
    /// Also write the rows as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// One setting of the constraints and the knob.
struct Setting {
    name: String,
    max_per_artist: Option<u32>,
    no_repeat: bool,
    /// Exclude the tracks the unconstrained batch placed ("my last videos").
    exclude_previous: bool,
    diversify: Option<&'static str>,
    /// Candidates the knob keeps (`None`: --keep).
    keep: Option<usize>,
}

impl Setting {
    fn new(name: &str) -> Setting {
        Setting {
            name: name.into(),
            max_per_artist: None,
            no_repeat: false,
            exclude_previous: false,
            diversify: None,
            keep: None,
        }
    }
}

fn settings() -> Vec<Setting> {
    let mut out = vec![
        Setting::new("none"),
        Setting {
            max_per_artist: Some(1),
            ..Setting::new("max 1 per artist")
        },
        Setting {
            no_repeat: true,
            ..Setting::new("no repeat across videos")
        },
        Setting {
            exclude_previous: true,
            ..Setting::new("exclude the previous batch's tracks")
        },
    ];
    for m in [
        "mmr:0.8",
        "mmr:0.5",
        "mmr:0.2",
        "theme:0.8",
        "theme:0.5",
        "theme:0.2",
    ] {
        out.push(Setting {
            diversify: Some(m),
            ..Setting::new(m)
        });
    }
    for m in ["mmr:0.2", "theme:0.2"] {
        out.push(Setting {
            diversify: Some(m),
            keep: Some(2),
            ..Setting::new(&format!("{m}, keep 2"))
        });
    }
    out.push(Setting {
        max_per_artist: Some(1),
        no_repeat: true,
        diversify: Some("mmr:0.5"),
        ..Setting::new("max 1 per artist + no repeat + mmr:0.5")
    });
    out
}

#[derive(Debug, serde::Serialize)]
struct Row {
    policy: String,
    setting: String,
    mean_return: f64,
    return_vs_none: f64,
    artists_per_plan: f64,
    tracks_per_plan: f64,
    /// Distinct tracks per plan minus distinct artists per plan: tracks that share an artist
    /// with another track of their plan.
    same_artist_tracks_per_plan: f64,
    tracks_in_two_or_more_videos: usize,
    /// Mean pairwise cosine of a plan's tracks (audio space, else text), averaged over plans.
    intra_plan_similarity: f64,
    ms_per_plan: f64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let lib = match &cli.library {
        Some(l) => l.clone(),
        None => scale_library(&cli.work, cli.tracks, 64, 32)?,
    };
    let videos_path = match &cli.videos {
        Some(v) => v.clone(),
        None => channel_videos(&lib, &cli.work, cli.video_count)?,
    };
    let planner = open_planner(&lib, &EncoderOptions::default())?;
    let videos = read_videos_for(&planner, &videos_path)?;
    println!(
        "library {} ({} tracks), {} videos, {} segments; knob keeps {} candidates per step",
        lib.display(),
        planner.library().rows(),
        videos.len(),
        videos.iter().map(|v| v.segments.len()).sum::<usize>(),
        cli.keep
    );
    println!(
        "\n| policy | setting | mean return | vs none | artists / plan | tracks / plan | same-artist tracks / plan | tracks in ≥ 2 videos | intra-plan cos | ms / plan |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    for policy in &cli.policies {
        let policy: PolicyChoice = policy.parse()?;
        let base = PlanOptions {
            policy: policy.clone(),
            ..PlanOptions::default()
        };
        // Warm the page cache and the columns the constraints read.
        planner.plan(
            &videos[0],
            &PlanOptions {
                max_per_artist: Some(1),
                ..base.clone()
            },
        )?;
        let mut none: Option<(f64, Vec<String>)> = None;
        for s in settings() {
            let previous = match (&none, s.exclude_previous) {
                (Some((_, ids)), true) => ids.clone(),
                _ => Vec::new(),
            };
            let opts = PlanOptions {
                max_per_artist: s.max_per_artist,
                no_repeat_across_videos: s.no_repeat,
                exclude_ids: previous,
                diversify: s
                    .diversify
                    .map(|m| StepRerank::new(m.parse()?, s.keep.unwrap_or(cli.keep)))
                    .transpose()?,
                ..base.clone()
            };
            let started = std::time::Instant::now();
            let plans = planner
                .plan_videos(&videos, &opts)
                .with_context(|| format!("{} under {}", policy.name(), s.name))?;
            let ms_per_plan = started.elapsed().as_secs_f64() * 1e3 / plans.len() as f64;
            let mean_return =
                plans.iter().map(|p| p.total_reward).sum::<f64>() / plans.len() as f64;
            if none.is_none() {
                let ids = plans
                    .iter()
                    .flat_map(|p| p.segments.iter().map(|s| s.track_id.clone()))
                    .collect();
                none = Some((mean_return, ids));
            }
            let reference = none.as_ref().map_or(mean_return, |n| n.0);
            let row = summarise(
                &planner,
                &plans,
                policy.name(),
                &s.name,
                mean_return,
                reference,
                ms_per_plan,
            );
            println!(
                "| {} | {} | {:.3} | {:+.1}% | {:.2} | {:.2} | {:.2} | {} | {:.3} | {:.1} |",
                row.policy,
                row.setting,
                row.mean_return,
                100.0 * row.return_vs_none,
                row.artists_per_plan,
                row.tracks_per_plan,
                row.same_artist_tracks_per_plan,
                row.tracks_in_two_or_more_videos,
                row.intra_plan_similarity,
                row.ms_per_plan
            );
            rows.push(row);
        }
    }
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}

fn summarise(
    planner: &Planner,
    plans: &[SoundtrackPlan],
    policy: String,
    setting: &str,
    mean_return: f64,
    reference: f64,
    ms_per_plan: f64,
) -> Row {
    let n = plans.len() as f64;
    let mut videos_of: HashMap<u64, usize> = HashMap::new();
    let (mut artists, mut tracks, mut similarity) = (0.0, 0.0, 0.0);
    for p in plans {
        let placed: Vec<&_> = {
            let mut seen = HashSet::new();
            p.segments
                .iter()
                .filter(|s| s.action == PlannedAction::New && seen.insert(s.row))
                .collect()
        };
        for s in &placed {
            *videos_of.entry(s.row).or_default() += 1;
        }
        let distinct_artists: HashSet<String> = placed
            .iter()
            .map(|s| s.artist.clone().unwrap_or_else(|| s.track_id.clone()))
            .map(|a| a.to_lowercase())
            .collect();
        artists += distinct_artists.len() as f64;
        tracks += placed.len() as f64;
        let rows: Vec<u64> = placed.iter().map(|s| s.row).collect();
        similarity += mean_pairwise_cosine(planner.tracks(), &rows);
    }
    Row {
        policy,
        setting: setting.to_string(),
        mean_return,
        return_vs_none: (mean_return - reference) / reference.abs().max(1e-9),
        artists_per_plan: artists / n,
        tracks_per_plan: tracks / n,
        same_artist_tracks_per_plan: (tracks - artists) / n,
        tracks_in_two_or_more_videos: videos_of.values().filter(|&&c| c > 1).count(),
        intra_plan_similarity: similarity / n,
        ms_per_plan,
    }
}

/// `count` videos of one channel for `lib` (see `--video-count`), written once.
/// Written under `work`, named after the library's folder and version.
fn channel_videos(lib: &Path, work: &Path, count: usize) -> anyhow::Result<PathBuf> {
    const THEME_ANCHORS: usize = 8;
    let handle = segue::Library::open(lib)?;
    let name = lib
        .file_name()
        .map_or("library".into(), |n| n.to_string_lossy());
    let out = work.join(format!(
        "{name}-v{}.channel-{count}.jsonl",
        handle.version()
    ));
    if out.exists() {
        return Ok(out);
    }
    std::fs::create_dir_all(work)?;
    let all = segue::soundtrack::video_anchors(&handle, 256)?;
    // The theme is measured in the audio space, else the text space.
    let space = all
        .audio
        .as_ref()
        .or(all.text.as_ref())
        .context("no anchors")?;
    let first = &space[0];
    let mut order: Vec<usize> = (0..space.len()).collect();
    let closeness = |i: usize| dot(&space[i], first) / segue::query::objective::norm(&space[i]);
    order.sort_by(|&a, &b| closeness(b).total_cmp(&closeness(a)).then(a.cmp(&b)));
    order.truncate(THEME_ANCHORS);
    let pick = |v: &Option<Vec<Vec<f32>>>| {
        v.as_ref()
            .map(|v| order.iter().map(|&i| v[i].clone()).collect::<Vec<_>>())
    };
    let anchors = segue::fixtures::VideoAnchors {
        audio: pick(&all.audio),
        text: pick(&all.text),
    };
    let spec = segue::fixtures::VideoSpec {
        count,
        seed: 7,
        min_segments: 10,
        max_segments: 30,
    };
    segue::fixtures::write_videos_jsonl(&spec, &anchors, &out)?;
    Ok(out)
}

/// Mean cosine over a plan's pairs of tracks in the audio space (else text); 0 for one track.
fn mean_pairwise_cosine(tracks: &dyn TrackSource, rows: &[u64]) -> f64 {
    let vector = |r| {
        if tracks.dims().audio.is_some() {
            tracks.audio(r)
        } else {
            tracks.text(r)
        }
    };
    let (mut sum, mut pairs) = (0.0, 0usize);
    for (i, &a) in rows.iter().enumerate() {
        for &b in &rows[i + 1..] {
            if let (Some(va), Some(vb)) = (vector(a), vector(b))
                && va.values_norm > 0.0
                && vb.values_norm > 0.0
            {
                sum += dot(va.values, vb.values) / (va.values_norm * vb.values_norm);
            }
            pairs += 1;
        }
    }
    if pairs == 0 { 0.0 } else { sum / pairs as f64 }
}
