//! Places each clip of an edit list on the timeline and sums them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use segue_models::audio::decode::{Stereo, decode_stereo_range};
use segue_models::audio::resample::resample;
use segue_query::arrange::{Arrangement, Clip};

use crate::error::{RenderError, Result};

/// How to render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Output sample rate, Hz.
    pub sample_rate: u32,
    /// Integrated loudness the mix is brought to, LUFS (`None`: leave the level as mixed).
    pub target_lufs: Option<f64>,
    /// The highest sample peak allowed after normalisation, dBFS.
    pub peak_ceiling_dbfs: f64,
}

/// Streaming platforms' and editors' common target; EBU R128 broadcast is −23.
pub const DEFAULT_TARGET_LUFS: f64 = -16.0;

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            sample_rate: 44_100,
            target_lufs: Some(DEFAULT_TARGET_LUFS),
            peak_ceiling_dbfs: -1.0,
        }
    }
}

/// A stereo mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    pub left: Vec<f32>,
    pub right: Vec<f32>,
    pub sample_rate: u32,
}

impl Mix {
    pub fn silent(frames: usize, sample_rate: u32) -> Mix {
        Mix {
            left: vec![0.0; frames],
            right: vec![0.0; frames],
            sample_rate,
        }
    }

    pub fn frames(&self) -> usize {
        self.left.len()
    }

    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// The frame at timeline time `t` (seconds), rounded: every edit point of a render falls
    /// on exactly this frame.
    pub fn frame_at(&self, t: f64) -> usize {
        frame_at(t, self.sample_rate)
    }

    /// The largest absolute sample.
    pub fn peak(&self) -> f32 {
        self.left
            .iter()
            .chain(&self.right)
            .fold(0.0f32, |m, x| m.max(x.abs()))
    }
}

pub(crate) fn frame_at(t: f64, rate: u32) -> usize {
    (t * f64::from(rate)).round().max(0.0) as usize
}

/// Mixes `arrangement`'s clips; `paths[i]` is the audio file of clip `i`. `progress` hears
/// (clips done, clips). Each file is decoded once however many clips use it.
pub fn mix(
    arrangement: &Arrangement,
    paths: &[PathBuf],
    opts: &RenderOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<Mix> {
    if paths.len() != arrangement.clips.len() {
        return Err(RenderError::BadPlan(format!(
            "{} clips but {} audio files",
            arrangement.clips.len(),
            paths.len()
        )));
    }
    if !(arrangement.duration.is_finite() && arrangement.duration > 0.0) {
        return Err(RenderError::BadPlan(format!(
            "the arrangement lasts {} s",
            arrangement.duration
        )));
    }
    let rate = opts.sample_rate;
    let mut out = Mix::silent(frame_at(arrangement.duration, rate), rate);
    // Each file is decoded once, from the earliest to the latest point any clip plays of it
    // (and a little more each side, for the resampler's filter).
    let mut spans: HashMap<&Path, (f64, f64)> = HashMap::new();
    for (clip, path) in arrangement.clips.iter().zip(paths) {
        check_clip(clip, arrangement.duration)?;
        let span = spans.entry(path.as_path()).or_insert((f64::INFINITY, 0.0));
        span.0 = span.0.min((clip.source_in - RESAMPLER_MARGIN_S).max(0.0));
        span.1 = span.1.max(clip.source_out + RESAMPLER_MARGIN_S);
    }
    let mut decoded: HashMap<&Path, Arc<Excerpt>> = HashMap::new();
    for (i, (clip, path)) in arrangement.clips.iter().zip(paths).enumerate() {
        let audio = match decoded.get(path.as_path()) {
            Some(a) => a.clone(),
            None => {
                let a = Arc::new(load(clip, path, spans[path.as_path()], rate)?);
                decoded.insert(path.as_path(), a.clone());
                a
            }
        };
        place(&mut out, clip, &audio, path)?;
        progress(i + 1, arrangement.clips.len());
    }
    Ok(out)
}

/// Audio decoded past a clip's end, so that resampling does not taper its last samples.
const RESAMPLER_MARGIN_S: f64 = 0.25;

fn check_clip(c: &Clip, duration: f64) -> Result<()> {
    let times = [c.source_in, c.source_out, c.timeline_in, c.timeline_out];
    let bad = |why: &str| {
        Err(RenderError::BadPlan(format!(
            "clip of track {} ({}–{} s on the timeline): {why}",
            c.track_id, c.timeline_in, c.timeline_out
        )))
    };
    if times.iter().any(|t| !t.is_finite()) || !c.gain_db.is_finite() {
        return bad("a time or gain is not a number");
    }
    if c.source_in < 0.0 || c.timeline_in < 0.0 || c.timeline_out <= c.timeline_in {
        return bad("its times are out of order or negative");
    }
    if c.timeline_out > duration + 1e-6 {
        return bad("it ends after the video does");
    }
    if ((c.source_out - c.source_in) - (c.timeline_out - c.timeline_in)).abs() > 1e-6 {
        return bad("its source and timeline spans differ in length");
    }
    Ok(())
}

/// Part of a file at the mix rate: `audio` starts at frame `first` of the whole file.
struct Excerpt {
    audio: Stereo,
    first: usize,
    /// The file's length is known only when it was decoded to its end.
    length_s: f64,
}

/// Decodes `path` as stereo at `rate`, from `span.0` to `span.1` seconds.
fn load(clip: &Clip, path: &Path, span: (f64, f64), rate: u32) -> Result<Excerpt> {
    if !path.is_file() {
        return Err(RenderError::MissingAudio {
            track_id: clip.track_id.clone(),
            path: path.to_path_buf(),
        });
    }
    let (s, first) =
        decode_stereo_range(path, span.0, span.1).map_err(|source| RenderError::Decode {
            track_id: clip.track_id.clone(),
            source,
        })?;
    let length_s = (first as f64 + s.left.len() as f64) / f64::from(s.sample_rate);
    if s.sample_rate == rate {
        return Ok(Excerpt {
            audio: s,
            first: first as usize,
            length_s,
        });
    }
    let first = (first as f64 * f64::from(rate) / f64::from(s.sample_rate)).round() as usize;
    Ok(Excerpt {
        audio: Stereo {
            left: resample(&s.left, s.sample_rate, rate),
            right: resample(&s.right, s.sample_rate, rate),
            sample_rate: rate,
            channels: s.channels,
        },
        first,
        length_s,
    })
}

/// Adds `clip` of `audio` into `out`: source and timeline frames differ by one constant, so
/// every sample lands exactly where the edit list says.
fn place(out: &mut Mix, clip: &Clip, excerpt: &Excerpt, path: &Path) -> Result<()> {
    let rate = out.sample_rate;
    let audio = &excerpt.audio;
    let start = frame_at(clip.timeline_in, rate);
    let end = frame_at(clip.timeline_out, rate).min(out.frames());
    let source_start = frame_at(clip.source_in, rate)
        .checked_sub(excerpt.first)
        .ok_or_else(|| {
            RenderError::BadPlan(format!(
                "track {}: decoding started after the clip's in-point {} s",
                clip.track_id, clip.source_in
            ))
        })?;
    if source_start >= audio.left.len() {
        return Err(RenderError::ClipBeyondAudio {
            track_id: clip.track_id.clone(),
            path: path.to_path_buf(),
            source_in: clip.source_in,
            length: excerpt.length_s,
        });
    }
    let gain = 10f64.powf(clip.gain_db / 20.0);
    let frames = (end - start).min(audio.left.len() - source_start);
    for k in 0..frames {
        let n = start + k;
        let g = (clip.envelope(n as f64 / f64::from(rate)) * gain) as f32;
        out.left[n] += audio.left[source_start + k] * g;
        out.right[n] += audio.right[source_start + k] * g;
    }
    Ok(())
}
