//! The demo's music part: with the real audio catalogue (Debian's wesnoth-1.16-music, which
//! `scripts/bootstrap` installs) and the musicnn model present, a library of some of its tracks
//! (musicnn embeddings; beats, bars, key, loudness analysed), a soundtrack for a generated video
//! over it arranged on the beat grid, rendered to a WAV, exported as OpenTimelineIO and drawn.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use segue::fixtures::VideoSpec;
use segue::fixtures::real_audio::WESNOTH_MUSIC_DIR;
use segue::ingest_crate::AudioIngest;
use segue::models::{AudioAnalyzer, AudioAnalyzerOptions};
use segue::render::{RenderOptions, render_plan};
use segue::soundtrack::{PlanOptions, open_planner, video_anchors};
use segue::{EncoderOptions, IngestOptions, Library};
use segue_charts::ChartFiles;

use crate::demo::{DemoOptions, prepare_dir, sibling};

/// Tracks of the real catalogue the demo library takes (every other one, in name order): a
/// couple of minutes of analysis in a debug build is more than a demo should cost.
const TRACKS: usize = 16;

/// Appends the music part to `out`, or a note saying what is missing.
pub fn music(opts: &DemoOptions, out: &mut String) -> Result<()> {
    let folder = Path::new(WESNOTH_MUSIC_DIR);
    if !folder.join("defeat.ogg").is_file() {
        writeln!(
            out,
            "\nNo real audio catalogue at {WESNOTH_MUSIC_DIR} (scripts/bootstrap installs \
             Debian's wesnoth-1.16-music): no rendered mix."
        )
        .ok();
        return Ok(());
    }
    let analyzer = match AudioAnalyzer::load(&AudioAnalyzerOptions {
        models_dir: opts.models_dir.clone(),
        threads: 2,
        ..AudioAnalyzerOptions::default()
    }) {
        Ok(a) => a,
        Err(e) => {
            writeln!(
                out,
                "\nThe musicnn model is not available ({e}): no rendered mix."
            )
            .ok();
            return Ok(());
        }
    };
    let mut files: Vec<_> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ogg"))
        .collect();
    files.sort();
    let files: Vec<_> = files.into_iter().step_by(2).take(TRACKS).collect();

    let dir = sibling(&opts.dir, "music");
    prepare_dir(&dir)?;
    let catalog = sibling(&opts.dir, "music.csv");
    let mut csv = String::from("track_id,title,audio_path\n");
    for f in &files {
        let stem = f.file_stem().unwrap_or_default().to_string_lossy();
        writeln!(csv, "{stem},{},{}", stem.replace('-', " "), f.display()).ok();
    }
    std::fs::write(&catalog, csv).with_context(|| format!("writing {}", catalog.display()))?;
    let mut o = IngestOptions::new(&catalog);
    o.progress = opts.progress;
    o.audio = Some(AudioIngest::new(Arc::new(analyzer), None));
    let summary = segue::ingest(&dir, &o);
    let _ = std::fs::remove_file(&catalog);
    let summary = summary?;
    writeln!(
        out,
        "\nBuilding a music library from {} tracks of the real audio catalogue {WESNOTH_MUSIC_DIR} \
         (Wesnoth's orchestral music, GPL-2+): analysed and embedded with musicnn in {:.1} s.",
        summary.rows_added, summary.seconds
    )
    .ok();

    let library = Library::open(&dir)?;
    let anchors = video_anchors(&library, files.len())?;
    let spec = VideoSpec {
        count: 1,
        seed: 11,
        min_segments: 8,
        max_segments: 10,
    };
    let mut video = segue::fixtures::generate_videos(&spec, &anchors)?
        .pop()
        .expect("one video");
    // Enough changes to hear a few kinds of transition.
    video.switch_budget = Some(4);
    let planner = open_planner(&dir, &EncoderOptions::default())?;
    let plan = planner.plan(
        &video,
        &PlanOptions {
            exact: true,
            ..PlanOptions::default()
        },
    )?;
    let arrangement = plan
        .arrangement
        .as_ref()
        .context("the plan has no edit list")?;
    writeln!(
        out,
        "A soundtrack for a generated {:.0} s video of {} segments over it, each change on the \
         music's own bar starts:",
        arrangement.duration,
        video.segments.len()
    )
    .ok();
    out.push_str(&crate::render::transitions(arrangement));

    let mix = sibling(&opts.dir, "mix.wav");
    let otio = sibling(&opts.dir, "mix.otio");
    let (r, _) = render_plan(
        &library,
        &plan,
        &mix,
        Some(&otio),
        &RenderOptions::default(),
        None,
        &|_, _| {},
    )?;
    let files = ChartFiles::with_prefix(&sibling(&opts.dir, "mix-timeline"));
    crate::mixdown::timeline(&library, &plan)?.write(&files)?;
    let lufs = r
        .loudness
        .and_then(|l| l.after_lufs)
        .map_or("-".into(), |l| format!("{l:.1} LUFS"));
    writeln!(
        out,
        "Rendered {} ({:.1} s at {lufs}, {:.0}× real time); the edit list as OpenTimelineIO in {}; \
         the timeline in {} and {}.",
        mix.display(),
        r.seconds,
        r.realtime_factor,
        otio.display(),
        files.svg.display(),
        files.png.display()
    )
    .ok();
    Ok(())
}
