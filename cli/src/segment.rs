//! `segue segment`: a video file (and its subtitles) to the video JSON `segue soundtrack` reads.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use segue::segment::{Count, Method, VideoOptions, segment_video};

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// The video file (anything the installed ffmpeg decodes).
    #[arg(long)]
    video: PathBuf,
    /// Subtitles (.srt, .vtt) or captions (.json list of {start, end, text}): each segment's
    /// caption becomes what is said in it.
    #[arg(long, visible_alias = "captions")]
    subtitles: Option<PathBuf>,
    /// Shortest music segment, seconds.
    #[arg(long, default_value_t = 8.0)]
    min_length: f64,
    /// changepoint (OF-VM-Net change points snapped to shots) or shots (merged shots).
    #[arg(long, default_value = "changepoint")]
    method: Method,
    /// Exactly this many segments (changepoint method; fewer when the video is too short).
    #[arg(long, conflicts_with_all = ["penalty", "target_length"])]
    segments: Option<usize>,
    /// Penalty per segment of the change-point cost (changepoint method).
    #[arg(long, conflicts_with = "target_length")]
    penalty: Option<f64>,
    /// About one segment per this many seconds (the default when no count is given).
    #[arg(long)]
    target_length: Option<f64>,
    /// Content difference (0-255) at which a frame starts a new shot (PySceneDetect's 27).
    #[arg(long, default_value_t = 27.0)]
    threshold: f64,
    /// Where to write the video JSON.
    #[arg(long)]
    out: PathBuf,
}

pub fn segment(a: SegmentArgs) -> anyhow::Result<()> {
    for input in std::iter::once(&a.video).chain(a.subtitles.as_ref()) {
        if same_file(input, &a.out) {
            bail!(
                "--out {} is an input of this command; choose another file",
                a.out.display()
            );
        }
    }
    let mut opts = VideoOptions {
        captions: a.subtitles.clone(),
        ..VideoOptions::default()
    };
    opts.segments.method = a.method;
    opts.segments.min_length = a.min_length;
    opts.segments.count = match (a.segments, a.penalty, a.target_length) {
        (Some(k), _, _) => Count::Segments(k),
        (_, Some(p), _) => Count::Penalty(p),
        (_, _, Some(t)) => Count::TargetLength(t),
        _ => opts.segments.count,
    };
    opts.shots.threshold = a.threshold;
    let got = segment_video(&a.video, &opts)
        .with_context(|| format!("segmenting {}", a.video.display()))?;
    let json = serde_json::to_vec_pretty(&got.video)?;
    segue::index::atomic::atomic_write(&a.out, &json)
        .with_context(|| format!("writing {}", a.out.display()))?;
    for note in &got.notes {
        eprintln!("note: {note}");
    }
    let cuts = got.shots.len();
    println!(
        "{}: {:.1} s decoded at {:.1} fps, {} shot boundaries, {} segments{} -> {}",
        a.video.display(),
        got.duration,
        got.fps,
        cuts,
        got.video.segments.len(),
        got.change_points
            .as_ref()
            .map(|r| format!(" ({} over {} windows)", r.algorithm, r.frames))
            .unwrap_or_default(),
        a.out.display()
    );
    for s in &got.video.segments {
        println!(
            "  {:>7.2}-{:>7.2} s  shots {}  motion {:.3}{}",
            s.start,
            s.end,
            s.shot_count.unwrap_or(0),
            s.motion.unwrap_or(0.0),
            s.caption
                .as_deref()
                .map(|c| format!("  \"{c}\""))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Whether two paths name the same existing file (or the same path when `b` does not exist).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
