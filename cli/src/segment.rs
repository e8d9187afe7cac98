//! `segue segment`: a video file (and its subtitles) to the video JSON `segue soundtrack` reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use segue::segment::{
    Count, EmbedAs, FeatureOptions, Method, SegmentOptions, ShotOptions, VideoOptions,
    segment_feature_file, segment_video,
};
use segue::soundtrack::Video;

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// The video file (anything the installed ffmpeg decodes).
    #[arg(
        long,
        required_unless_present = "features",
        conflicts_with = "features"
    )]
    video: Option<PathBuf>,
    /// Instead of a video: per-frame feature vectors as a 2-D .npy array (frames × dimensions,
    /// float32/float64), e.g. your video model's embeddings, segmented at their change points.
    #[arg(long, value_name = "FILE.npy", requires = "fps")]
    features: Option<PathBuf>,
    /// Frames per second of --features.
    #[arg(long)]
    fps: Option<f64>,
    /// Give each segment the mean of its --features frames as its `audio` or `text` embedding
    /// (when the model embeds into the library's space).
    #[arg(long, value_name = "SPACE", requires = "features")]
    embed_as: Option<String>,
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
    let inputs = a.video.iter().chain(&a.features).chain(&a.subtitles);
    for input in inputs {
        if same_file(input, &a.out) {
            bail!(
                "--out {} is an input of this command; choose another file",
                a.out.display()
            );
        }
    }
    let mut segments = SegmentOptions {
        method: a.method,
        min_length: a.min_length,
        ..SegmentOptions::default()
    };
    segments.count = match (a.segments, a.penalty, a.target_length) {
        (Some(k), _, _) => Count::Segments(k),
        (_, Some(p), _) => Count::Penalty(p),
        (_, _, Some(t)) => Count::TargetLength(t),
        _ => segments.count,
    };
    if let Some(path) = &a.features {
        return features(&a, path, segments);
    }
    let video = a
        .video
        .as_ref()
        .context("--video or --features is needed")?;
    let opts = VideoOptions {
        captions: a.subtitles.clone(),
        segments,
        shots: ShotOptions {
            threshold: a.threshold,
            ..ShotOptions::default()
        },
        ..VideoOptions::default()
    };
    let got =
        segment_video(video, &opts).with_context(|| format!("segmenting {}", video.display()))?;
    write_video(&got.video, &a.out)?;
    for note in &got.notes {
        eprintln!("note: {note}");
    }
    let cuts = got.shots.len();
    println!(
        "{}: {:.1} s decoded at {:.1} fps, {} shot boundaries, {} segments{} -> {}",
        video.display(),
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
    print_segments(&got.video);
    Ok(())
}

/// `--features`: the change points of a feature sequence.
fn features(a: &SegmentArgs, path: &Path, segments: SegmentOptions) -> anyhow::Result<()> {
    if matches!(a.method, Method::Shots) {
        bail!("--method shots needs a video file; a feature sequence has no shots");
    }
    let opts = FeatureOptions {
        fps: a.fps.context("--features needs --fps")?,
        segments,
        embed_as: a
            .embed_as
            .as_deref()
            .map(str::parse::<EmbedAs>)
            .transpose()?,
        captions: a.subtitles.clone(),
    };
    let got = segment_feature_file(path, &opts)
        .with_context(|| format!("segmenting {}", path.display()))?;
    write_video(&got.video, &a.out)?;
    for note in &got.notes {
        eprintln!("note: {note}");
    }
    println!(
        "{}: {} frames × {} at {} fps, {} segments ({} over {} frames) -> {}",
        path.display(),
        got.frames,
        got.dim,
        opts.fps,
        got.video.segments.len(),
        got.report.algorithm,
        got.report.frames,
        a.out.display()
    );
    print_segments(&got.video);
    Ok(())
}

fn write_video(video: &Video, out: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(video)?;
    segue::index::atomic::atomic_write(out, &json)
        .with_context(|| format!("writing {}", out.display()))
}

fn print_segments(video: &Video) {
    for s in &video.segments {
        let mut line = format!("  {:>7.2}-{:>7.2} s", s.start, s.end);
        if let Some(n) = s.shot_count {
            line += &format!("  shots {n}");
        }
        if let Some(m) = s.motion {
            line += &format!("  motion {m:.3}");
        }
        if let Some(c) = &s.caption {
            line += &format!("  \"{c}\"");
        }
        println!("{line}");
    }
}

/// Whether two paths name the same existing file (or the same path when `b` does not exist).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
