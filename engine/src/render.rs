//! Playing a soundtrack plan: its edit list rendered to a WAV or FLAC file (and exported as
//! OpenTimelineIO) from the library's audio files.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use serde::Serialize;

pub use segue_query::arrange::{
    Arrangement, Clip, ClipRole, Fade, FadeShape, Transition, TransitionKind,
};
pub use segue_render::loudness::LoudnessReport;
pub use segue_render::mixer::DEFAULT_TARGET_LUFS;
pub use segue_render::{Mix, RenderOptions};

use crate::error::{Error, Result};
use crate::soundtrack::SoundtrackPlan;
use segue_index::Library;
use segue_index::schema::col;

/// What a render did.
#[derive(Debug, Clone, Serialize)]
pub struct RenderSummary {
    /// The file written.
    pub out: PathBuf,
    /// The OpenTimelineIO file written, if asked.
    pub otio: Option<PathBuf>,
    /// Length of the mix, seconds (the video's).
    pub seconds: f64,
    /// Of the mix, Hz.
    pub sample_rate: u32,
    /// Clips placed.
    pub clips: usize,
    /// Distinct audio files decoded.
    pub files: usize,
    /// Loudness before and after normalisation (`None` when not normalised).
    pub loudness: Option<LoudnessReport>,
    /// Wall time of decoding and mixing, milliseconds.
    pub mix_ms: f64,
    /// Wall time of normalising and writing, milliseconds.
    pub write_ms: f64,
    /// Seconds of mix per second of wall time.
    pub realtime_factor: f64,
}

/// Reads a plan written by `segue soundtrack --json`: one plan, or a list holding one.
pub fn read_plan(path: &Path) -> Result<SoundtrackPlan> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |e: serde_json::Error| Error::Invalid(format!("{}: {e}", path.display()));
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(bad)?;
    let value = match value {
        serde_json::Value::Array(mut plans) if plans.len() == 1 => plans.remove(0),
        serde_json::Value::Array(plans) => {
            return Err(Error::Invalid(format!(
                "{}: holds {} plans; render one at a time (plan one video per file)",
                path.display(),
                plans.len()
            )));
        }
        v => v,
    };
    serde_json::from_value(value).map_err(bad)
}

/// The audio file of each clip of `arrangement`, from `library`: the track's `audio_path`
/// (relative paths against `audio_dir`, else the working directory). A track the library does
/// not have, or one without an audio file, is an error naming it.
pub fn clip_audio_paths(
    library: &Library,
    arrangement: &Arrangement,
    audio_dir: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    audio_paths(library, arrangement, audio_dir)?
        .into_iter()
        .zip(&arrangement.clips)
        .map(|(p, c)| {
            p.ok_or_else(|| {
                Error::Invalid(format!(
                    "track {}: the library has no audio file for it (ingest it with \
                     --audio-dir or an audio_path column)",
                    c.track_id
                ))
            })
        })
        .collect()
}

/// [`clip_audio_paths`], with `None` for a track without an audio file.
fn audio_paths(
    library: &Library,
    arrangement: &Arrangement,
    audio_dir: Option<&Path>,
) -> Result<Vec<Option<PathBuf>>> {
    let wanted: HashSet<&str> = arrangement
        .clips
        .iter()
        .map(|c| c.track_id.as_str())
        .collect();
    let ids = library.track_id_column()?;
    let mut rows: HashMap<&str, u64> = HashMap::new();
    for (row, id) in ids.iter().enumerate() {
        if let Some(id) = id.and_then(|id| wanted.get(id)) {
            rows.insert(id, row as u64);
        }
    }
    let mut unknown: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|id| !rows.contains_key(id))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(Error::Invalid(format!(
            "the plan names tracks that version {} of {} does not have: {}",
            library.version(),
            library.dir().display(),
            unknown.join(", ")
        )));
    }
    let ordered: Vec<u64> = arrangement
        .clips
        .iter()
        .map(|c| rows[c.track_id.as_str()])
        .collect();
    let batch = library.take(&ordered, &[col::AUDIO_PATH])?;
    let paths = batch.column(0).as_string::<i32>();
    Ok((0..ordered.len())
        .map(|i| {
            let p = paths.is_valid(i).then(|| paths.value(i).trim());
            let p = PathBuf::from(p.filter(|p| !p.is_empty())?);
            Some(match audio_dir {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p,
            })
        })
        .collect())
}

fn arrangement_of(plan: &SoundtrackPlan) -> Result<&Arrangement> {
    plan.arrangement.as_ref().ok_or_else(|| {
        Error::Invalid(format!(
            "the plan of video {} has no edit list (it was planned without arrangement, on a \
             sharded catalogue, or by an older Segue): plan it again on the library with \
             arrangement on (`segue soundtrack`, or `arrange=True` in Python)",
            plan.video_id
        ))
    })
}

/// Writes `plan`'s edit list as OpenTimelineIO JSON to `path`, times counted in samples at
/// `sample_rate`; clips of tracks without an audio file get a missing media reference.
pub fn export_otio(
    library: &Library,
    plan: &SoundtrackPlan,
    path: &Path,
    sample_rate: u32,
    audio_dir: Option<&Path>,
) -> Result<()> {
    let arrangement = arrangement_of(plan)?;
    let paths = audio_paths(library, arrangement, audio_dir)?;
    Ok(segue_render::otio::write(
        path,
        arrangement,
        &plan.video_id,
        &paths,
        sample_rate,
    )?)
}

/// Renders `plan`'s edit list from `library`'s audio to `out` (`.wav` or `.flac`), and with
/// `otio` also writes the edit list as OpenTimelineIO. `progress` hears (clips done, clips).
/// Returns what it did and the mix as written (normalised, before 16-bit dither), for callers
/// that measure it.
pub fn render_plan(
    library: &Library,
    plan: &SoundtrackPlan,
    out: &Path,
    otio: Option<&Path>,
    opts: &RenderOptions,
    audio_dir: Option<&Path>,
    progress: &dyn Fn(usize, usize),
) -> Result<(RenderSummary, Mix)> {
    let arrangement = arrangement_of(plan)?;
    segue_render::encode::OutputFormat::of(out)?;
    let paths = clip_audio_paths(library, arrangement, audio_dir)?;
    let started = Instant::now();
    let mut mix = segue_render::mix(arrangement, &paths, opts, progress)?;
    let mix_ms = started.elapsed().as_secs_f64() * 1e3;
    let written = Instant::now();
    let loudness = opts
        .target_lufs
        .map(|target| segue_render::loudness::normalise(&mut mix, target, opts.peak_ceiling_dbfs));
    segue_render::encode::write(&mix, out)?;
    if let Some(otio) = otio {
        let found: Vec<Option<PathBuf>> = paths.iter().cloned().map(Some).collect();
        segue_render::otio::write(otio, arrangement, &plan.video_id, &found, opts.sample_rate)?;
    }
    let write_ms = written.elapsed().as_secs_f64() * 1e3;
    let mut files = paths.clone();
    files.sort();
    files.dedup();
    let summary = RenderSummary {
        out: out.to_path_buf(),
        otio: otio.map(Path::to_path_buf),
        seconds: mix.seconds(),
        sample_rate: mix.sample_rate,
        clips: arrangement.clips.len(),
        files: files.len(),
        loudness,
        mix_ms,
        write_ms,
        realtime_factor: mix.seconds() / ((mix_ms + write_ms) / 1e3).max(1e-9),
    };
    Ok((summary, mix))
}
