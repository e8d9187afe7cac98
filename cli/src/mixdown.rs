//! `segue render`: a plan's edit list played from the library's audio into a WAV or FLAC file,
//! loudness-normalised, optionally with its OpenTimelineIO export.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use segue::Library;
use segue::index::outputs::check_output;
use segue::query::arrange::{ClipRole, read_analyses};
use segue::render::{DEFAULT_TARGET_LUFS, RenderOptions, read_plan, render_plan};
use segue::soundtrack::SoundtrackPlan;
use segue_charts::{ChartFiles, Timeline, TimelineClip, TimelineMark};

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The library the plan was made on.
    #[arg(long)]
    library: PathBuf,
    /// A plan from `segue soundtrack --json` (one video).
    #[arg(long)]
    plan: PathBuf,
    /// The mix to write: `.wav` or `.flac` (16-bit stereo).
    #[arg(long)]
    out: PathBuf,
    /// Also write the edit list as OpenTimelineIO JSON (`.otio`), for editors.
    #[arg(long, value_name = "FILE")]
    otio: Option<PathBuf>,
    /// Also draw the timeline (segments, clips with their fades, beats, transitions) to
    /// PREFIX.svg and PREFIX.png.
    #[arg(long, value_name = "PREFIX")]
    timeline: Option<PathBuf>,
    /// Integrated loudness of the mix, LUFS (EBU R128).
    #[arg(long, default_value_t = DEFAULT_TARGET_LUFS, allow_negative_numbers = true)]
    target_lufs: f64,
    /// Leave the level as mixed (no loudness normalisation).
    #[arg(long, conflicts_with = "target_lufs")]
    no_normalise: bool,
    /// Sample rate of the mix, Hz.
    #[arg(long, default_value_t = 44_100)]
    sample_rate: u32,
    /// Folder that relative `audio_path` values of the library are relative to.
    #[arg(long)]
    audio_dir: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn render(a: RenderArgs) -> anyhow::Result<()> {
    check_output("--out", &a.out, &[&a.library], &[&a.plan])?;
    if let Some(otio) = &a.otio {
        check_output("--otio", otio, &[&a.library], &[&a.plan, &a.out])?;
    }
    if let Some(prefix) = &a.timeline {
        let files = ChartFiles::with_prefix(prefix);
        for f in [&files.svg, &files.png] {
            check_output("--timeline", f, &[&a.library], &[&a.plan, &a.out])?;
        }
    }
    if !(8_000..=192_000).contains(&a.sample_rate) {
        anyhow::bail!("--sample-rate {}: use 8000 to 192000 Hz", a.sample_rate);
    }
    let plan = read_plan(&a.plan)?;
    let library = Library::open_with(&a.library, segue::WalkMemory::Mapped)
        .with_context(|| format!("opening {}", a.library.display()))?;
    let opts = RenderOptions {
        sample_rate: a.sample_rate,
        target_lufs: (!a.no_normalise).then_some(a.target_lufs),
        ..Default::default()
    };
    let bar = crate::progress::bar(0, "rendering {bar:30} {pos}/{len} clips {elapsed}");
    let (summary, _) = render_plan(
        &library,
        &plan,
        &a.out,
        a.otio.as_deref(),
        &opts,
        a.audio_dir.as_deref(),
        &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )
    .with_context(|| format!("rendering {} to {}", a.plan.display(), a.out.display()))?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!(
        "wrote {} ({:.2} s, {} Hz stereo, {} clips from {} files) in {:.2} s: {:.0}× real time",
        summary.out.display(),
        summary.seconds,
        summary.sample_rate,
        summary.clips,
        summary.files,
        (summary.mix_ms + summary.write_ms) / 1e3,
        summary.realtime_factor
    );
    if let Some(l) = &summary.loudness {
        let lufs = |x: Option<f64>| x.map_or("silence".to_string(), |v| format!("{v:.1} LUFS"));
        println!(
            "loudness {} → {} (gain {:+.1} dB, peak {:.1} dBFS, limiter on {:.2} % of frames)",
            lufs(l.before_lufs),
            lufs(l.after_lufs),
            l.gain_db,
            l.peak_dbfs,
            100.0 * l.limited_share
        );
    }
    if let Some(otio) = &summary.otio {
        println!("wrote {}", otio.display());
    }
    if let Some(prefix) = &a.timeline {
        let files = ChartFiles::with_prefix(prefix);
        timeline(&library, &plan)?.write(&files)?;
        println!("wrote {} and {}", files.svg.display(), files.png.display());
    }
    Ok(())
}

/// The picture of `plan`'s edit list, with each clip's beats from the library's analysis.
pub(crate) fn timeline(library: &Library, plan: &SoundtrackPlan) -> anyhow::Result<Timeline> {
    let Some(arrangement) = &plan.arrangement else {
        anyhow::bail!("the plan has no edit list");
    };
    let rows: Vec<u64> = arrangement.clips.iter().map(|c| c.row).collect();
    let analyses = read_analyses(library, &rows)?;
    let clips = arrangement
        .clips
        .iter()
        .zip(&analyses)
        .map(|(c, a)| {
            let on_timeline = |times: &[f64]| -> Vec<f64> {
                times
                    .iter()
                    .filter(|&&b| b >= c.source_in && b <= c.source_out)
                    .map(|&b| c.timeline_in + b - c.source_in)
                    .collect()
            };
            // The plan's rows belong to the version it was made on; a newer library may hold
            // another track there, whose beats are not this clip's.
            let same = a.track_id == c.track_id;
            TimelineClip {
                label: match c.role {
                    ClipRole::Main => c.track_id.clone(),
                    ClipRole::Bridge => format!("bridge: {}", c.track_id),
                },
                start: c.timeline_in,
                end: c.timeline_out,
                fade_in: c.fade_in.seconds,
                fade_out: c.fade_out.seconds,
                beats: if same { on_timeline(&a.beats) } else { vec![] },
                downbeats: if same {
                    on_timeline(&a.downbeats)
                } else {
                    vec![]
                },
            }
        })
        .collect();
    Ok(Timeline {
        title: format!(
            "{}: {} plan, transitions on the music's bar starts",
            plan.video_id, plan.policy
        ),
        duration: arrangement.duration,
        segments: plan.segments.iter().map(|s| (s.start, s.end)).collect(),
        clips,
        marks: arrangement
            .transitions
            .iter()
            .map(|t| TimelineMark {
                label: t.kind.name().to_string(),
                start: t.out_fade_start.min(t.in_start),
                end: t.out_end.max(t.in_full),
            })
            .collect(),
    })
}
