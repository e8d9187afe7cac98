//! Plans made playable (issue 16), on the real audio catalogue (Debian's wesnoth-1.16-music):
//! generated videos over a library of its 41 tracks are planned, arranged and rendered, and the
//! renders measured:
//!
//! * render speed: seconds of mix per wall second (decode, resample, mix, loudness, write);
//! * the share of music changes on a bar start: every moment a track stops or starts at a
//!   transition, checked against that track's own analysed downbeats (±30 ms) on the timeline
//!   of the rendered edit list;
//! * the loudness jump across transitions: |ΔLUFS| between the 3 s of mix before the outgoing
//!   track starts to fade and the 3 s after the incoming one is fully in (EBU R128 short-term
//!   windows), median and 90th percentile;
//! * the transition kinds the director chose, and how many switches between far-apart clashing
//!   tracks found a bridge track in the catalogue.
//!
//! ```sh
//! CARGO_TARGET_DIR=/var/tmp/segue-target-bench cargo build --profile search-bench --workspace --bins
//! /var/tmp/segue-target-bench/search-bench/mix_bench --videos 20 --csv benches/results/mix/wesnoth.csv
//! ```
//! The library (musicnn embeddings, analysis) is built once under `--work` and reused.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use segue::fixtures::VideoSpec;
use segue::fixtures::real_audio::wesnoth_music;
use segue::index::EmbeddingKind;
use segue::ingest_crate::AudioIngest;
use segue::models::{AudioAnalyzer, AudioAnalyzerOptions};
use segue::query::arrange::director::wants_bridge;
use segue::query::arrange::{
    ON_BEAT_S, TrackAnalysis, TransitionKind, read_analyses, scene_change,
};
use segue::query::objective::dot;
use segue::render::{RenderOptions, render_plan};
use segue::soundtrack::{PlanOptions, PolicyChoice, open_planner, video_anchors};
use segue::{EncoderOptions, IngestOptions, Library};
use segue_render::loudness::window_lufs;

#[derive(Debug, Parser)]
struct Cli {
    #[arg(long, default_value = "/var/tmp/segue-mix")]
    work: PathBuf,
    /// Generated videos planned and rendered.
    #[arg(long, default_value_t = 20)]
    videos: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sequencer: beam or greedy-all.
    #[arg(long, default_value = "beam")]
    policy: String,
    /// One line per transition: video, kind, reason, on-bar flags, ΔLUFS.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Force this transition at every segment of every video (e.g. `bridge`, to measure bridges
    /// where the plans' own switches never call for one).
    #[arg(long)]
    force: Option<TransitionKind>,
}

const SHORT_TERM_S: f64 = 3.0;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let music = wesnoth_music().context("run scripts/bootstrap: it installs wesnoth-1.16-music")?;
    let lib_dir = cli.work.join("wesnoth-library");
    if !lib_dir.join("MANIFEST.json").is_file() {
        std::fs::create_dir_all(&cli.work)?;
        let analyzer = AudioAnalyzer::load(&AudioAnalyzerOptions {
            threads: 2,
            ..AudioAnalyzerOptions::default()
        })?;
        let mut o = IngestOptions::new(&music);
        o.audio = Some(AudioIngest::new(Arc::new(analyzer), Some(music.clone())));
        o.skip_bad_rows = true;
        o.progress = false;
        let t = Instant::now();
        let s = segue::ingest(&lib_dir, &o)?;
        eprintln!(
            "ingested {} tracks of {} in {:.1} s",
            s.rows_added,
            music.display(),
            t.elapsed().as_secs_f64()
        );
    }
    let library = Library::open(&lib_dir)?;
    let anchors = video_anchors(&library, 41)?;
    let videos = segue::fixtures::generate_videos(
        &VideoSpec {
            count: cli.videos,
            seed: cli.seed,
            min_segments: 4,
            max_segments: 16,
        },
        &anchors,
    )?;
    let planner = open_planner(&lib_dir, &EncoderOptions::default())?;
    let opts = PlanOptions {
        policy: cli
            .policy
            .parse::<PolicyChoice>()
            .map_err(anyhow::Error::msg)?,
        exact: true,
        ..PlanOptions::default()
    };
    let analyses: BTreeMap<String, TrackAnalysis> =
        read_analyses(&library, &(0..library.rows()).collect::<Vec<_>>())?
            .into_iter()
            .map(|a| (a.track_id.clone(), a))
            .collect();
    let render_opts = RenderOptions::default();
    let scratch = tempfile::tempdir()?;
    let (mut mix_seconds, mut wall) = (0.0, 0.0);
    let (mut mix_ms, mut write_ms) = (0.0, 0.0);
    let mut moments = (0usize, 0usize);
    let mut changes = (0usize, 0usize);
    let mut jumps: Vec<f64> = Vec::new();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Switches that wanted a bridge (director's rule 4, or forced), and those that got one.
    let mut bridges = (0usize, 0usize);
    let audio = library
        .vectors(EmbeddingKind::Audio)
        .context("the library has no audio space")?;
    let mut rows = vec!["video,kind,from,to,out_on_bar,in_on_bar,delta_lufs,reason".to_string()];
    let videos: Vec<_> = videos
        .into_iter()
        .map(|mut v| {
            for s in v.segments.iter_mut().skip(1) {
                s.transition = cli.force.or(s.transition);
            }
            v
        })
        .collect();
    // The audio cosine of the two tracks at every switch that is not a cut.
    let mut cosines: Vec<f32> = Vec::new();
    for video in &videos {
        let plan = planner.plan(video, &opts)?;
        let arrangement = plan
            .arrangement
            .as_ref()
            .context("a plan without edit list")?;
        let out = scratch.path().join(format!("{}.wav", video.id));
        let t = Instant::now();
        // The loudness jumps are measured on the normalised mix the render wrote (before its
        // 16-bit dither).
        let (summary, m) =
            render_plan(&library, &plan, &out, None, &render_opts, None, &|_, _| {})?;
        wall += t.elapsed().as_secs_f64();
        mix_seconds += summary.seconds;
        mix_ms += summary.mix_ms;
        write_ms += summary.write_ms;
        // Every hand-over between consecutive clips: one per transition, two for a bridge
        // (into the bridge track, out of it).
        let mut k = 0;
        for t in &arrangement.transitions {
            let hops = if t.bridge.is_some() { 2 } else { 1 };
            let (a, b) = (&analyses[&t.from_track], &analyses[&t.to_track]);
            let cosine = dot(audio.row(a.row as usize), audio.row(b.row as usize)) as f32;
            if t.kind != TransitionKind::Cut {
                cosines.push(cosine);
            }
            if wants_bridge(&scene_change(video, t.segment), a, b, Some(cosine)) {
                bridges.0 += 1;
                bridges.1 += usize::from(t.kind == TransitionKind::Bridge);
            }
            *kinds.entry(t.kind.name()).or_default() += 1;
            for pair in arrangement.clips[k..=k + hops].windows(2) {
                let (out_clip, in_clip) = (&pair[0], &pair[1]);
                let on_bar = |clip: &segue::render::Clip, at: f64| {
                    analyses.get(&clip.track_id).is_some_and(|a| {
                        a.downbeats
                            .iter()
                            .map(|&d| clip.timeline_in + d - clip.source_in)
                            .any(|d| (d - at).abs() <= ON_BEAT_S)
                    })
                };
                let stop = if t.kind == TransitionKind::Cut {
                    out_clip.timeline_out - segue::query::arrange::DECLICK_S
                } else {
                    out_clip.timeline_out
                };
                let (o, i) = (on_bar(out_clip, stop), on_bar(in_clip, in_clip.timeline_in));
                moments.0 += usize::from(o) + usize::from(i);
                moments.1 += 2;
                changes.0 += usize::from(o && i);
                changes.1 += 1;
                let fade_start = out_clip.timeline_out - out_clip.fade_out.seconds;
                let full = in_clip.timeline_in + in_clip.fade_in.seconds;
                let before = window_lufs(&m, fade_start - SHORT_TERM_S, fade_start);
                let after = window_lufs(&m, full, full + SHORT_TERM_S);
                let delta = match (before, after) {
                    (Some(b), Some(a)) if fade_start >= SHORT_TERM_S => Some(a - b),
                    _ => None,
                };
                if let Some(d) = delta {
                    jumps.push(d.abs());
                }
                rows.push(format!(
                    "{},{},{},{},{o},{i},{},\"{}\"",
                    video.id,
                    t.kind.name(),
                    out_clip.track_id,
                    in_clip.track_id,
                    delta.map_or(String::new(), |d| format!("{d:.2}")),
                    t.reason
                ));
            }
            k += hops;
        }
    }
    if let Some(path) = &cli.csv {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, rows.join("\n") + "\n")?;
    }
    jumps.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        jumps
            .get(((jumps.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| videos / transitions / hand-overs | {} / {} / {} over {} tracks |",
        videos.len(),
        kinds.values().sum::<usize>(),
        changes.1,
        library.rows()
    );
    println!(
        "| render speed | {:.0}× real time ({:.1} s of mix in {:.2} s: decode and mix {:.2} s, \
         loudness and write {:.2} s) |",
        mix_seconds / wall,
        mix_seconds,
        wall,
        mix_ms / 1e3,
        write_ms / 1e3
    );
    println!(
        "| hand-overs with both tracks on a bar start (±30 ms) | {:.1} % ({}/{}) |",
        100.0 * changes.0 as f64 / changes.1.max(1) as f64,
        changes.0,
        changes.1
    );
    println!(
        "| stop/start moments on a bar start (±30 ms) | {:.1} % ({}/{}) |",
        100.0 * moments.0 as f64 / moments.1.max(1) as f64,
        moments.0,
        moments.1
    );
    println!(
        "| loudness jump across hand-overs, median / p90 | {} / {} LU ({} measured) |",
        pct(0.5).map_or("-".into(), |x| format!("{x:.2}")),
        pct(0.9).map_or("-".into(), |x| format!("{x:.2}")),
        jumps.len()
    );
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("| transition kinds | {} |", kinds.join(", "));
    println!(
        "| switches wanting a bridge (far apart and clashing, or forced) / bridged | {} / {} |",
        bridges.0, bridges.1
    );
    cosines.sort_by(f32::total_cmp);
    if let (Some(lo), Some(mid)) = (cosines.first(), cosines.get(cosines.len() / 2)) {
        println!(
            "| audio cosine of the two tracks at switches other than cuts, least / median | \
             {lo:.2} / {mid:.2} |"
        );
    }
    Ok(())
}
