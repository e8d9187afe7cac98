//! From measurements to a video's music segments: change points in the per-window features
//! (or the shots themselves), boundaries snapped to nearby shot boundaries, and per segment the
//! caption spoken in it, its motion, its shot count and a suggested `music_change`.

use segue_query::video::{Segment, Video};

use crate::analysis::{Analysis, Window};
use crate::captions::{Cue, caption_for};
use crate::changepoint::{
    DEFAULT_EPSILON, SegmentCost, optimal_partition, partition_into, pelt, penalty_for_segments,
};
use crate::error::SegmentError;
use crate::shots::ShotBoundary;

/// How music segments are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Change points of the per-window features (OF-VM-Net's cost), snapped to shot
    /// boundaries.
    #[default]
    ChangePoint,
    /// The shots themselves, short ones merged into their neighbours until every segment has
    /// the minimum length (JenBridge's PySceneDetect segmentation).
    Shots,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "changepoint" | "change-point" => Ok(Method::ChangePoint),
            "shots" => Ok(Method::Shots),
            other => Err(format!("unknown method {other:?} (changepoint or shots)")),
        }
    }
}

/// How many segments the change points make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Count {
    /// About one segment per this many seconds (the default, 20 s): a count within 5% of
    /// duration / seconds.
    TargetLength(f64),
    /// Exactly this many segments (fewer when the video is too short for them).
    Segments(usize),
    /// This penalty per segment.
    Penalty(f64),
}

/// Settings of [`segments_from_analysis`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentOptions {
    pub method: Method,
    /// Minimum segment length, seconds (JenBridge: 8).
    pub min_length: f64,
    pub count: Count,
    /// A change point moves to a shot boundary this close (seconds) when the move keeps every
    /// segment at least `min_length` long.
    pub snap: f64,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions {
            method: Method::ChangePoint,
            min_length: 8.0,
            count: Count::TargetLength(20.0),
            snap: 2.0,
        }
    }
}

impl SegmentOptions {
    fn check(&self) -> Result<(), SegmentError> {
        let bad = |m: String| Err(SegmentError::InvalidArgument(m));
        if !(self.min_length.is_finite() && self.min_length > 0.0) {
            return bad(format!(
                "the minimum length must be positive, got {} s",
                self.min_length
            ));
        }
        if !(self.snap.is_finite() && self.snap >= 0.0) {
            return bad(format!(
                "the snap distance must be ≥ 0, got {} s",
                self.snap
            ));
        }
        match self.count {
            Count::TargetLength(t) if !(t.is_finite() && t > 0.0) => {
                bad(format!("the target length must be positive, got {t} s"))
            }
            Count::Segments(0) => bad("the number of segments must be at least 1".into()),
            Count::Penalty(p) if !(p.is_finite() && p >= 0.0) => {
                bad(format!("the penalty must be ≥ 0, got {p}"))
            }
            _ => Ok(()),
        }
    }
}

/// Which algorithm found the change points, and with what penalty.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangePointReport {
    /// `dp` (exact, short sequences), `pelt`, or `dp-k` (exactly k segments).
    pub algorithm: &'static str,
    pub penalty: Option<f64>,
    pub frames: usize,
}

/// Sequences up to this many frames use the exact DP; longer ones PELT (same optimum).
pub const DP_MAX_FRAMES: usize = 2_000;

/// Change points of standardised `frames` (`fps` frames per second): segment boundaries in
/// seconds (the starts of segments 2..), for any feature sequence (e.g. a video model's
/// embeddings).
pub fn change_points(
    frames: &[Vec<f64>],
    fps: f64,
    opts: &SegmentOptions,
) -> Result<(Vec<f64>, ChangePointReport), SegmentError> {
    opts.check()?;
    if !(fps.is_finite() && fps > 0.0) {
        return Err(SegmentError::InvalidArgument(format!(
            "the frame rate must be positive, got {fps}"
        )));
    }
    let n = frames.len();
    let min_len = ((opts.min_length * fps).ceil() as usize).max(1);
    if n < 2 * min_len {
        return Ok((
            Vec::new(),
            ChangePointReport {
                algorithm: "none (shorter than two minimum lengths)",
                penalty: None,
                frames: n,
            },
        ));
    }
    let cost = SegmentCost::new(&standardise(frames), DEFAULT_EPSILON)?;
    let (partition, report) = match opts.count {
        Count::Penalty(p) => {
            let exact = n <= DP_MAX_FRAMES;
            let part = if exact {
                optimal_partition(&cost, p, min_len)?
            } else {
                pelt(&cost, p, min_len)?
            };
            let algorithm = if exact { "dp" } else { "pelt" };
            (part, (algorithm, Some(p)))
        }
        Count::Segments(k) if (k as u128) * (n as u128).pow(2) <= 40_000_000 => {
            let k = k.min(n / min_len);
            (partition_into(&cost, k, min_len)?, ("dp-k", None))
        }
        Count::Segments(k) => {
            let (p, part) = penalty_for_segments(&cost, k..=k, min_len, 60)?;
            (part, ("pelt", Some(p)))
        }
        Count::TargetLength(t) => {
            // About one segment per t seconds: within 5% of that count is close enough, and
            // spares the search the PELT runs of closing in on an exact count.
            let k = ((n as f64 / fps / t).round() as usize).max(1);
            let (p, part) = penalty_for_segments(&cost, k - k / 20..=k + k / 20, min_len, 60)?;
            (part, ("pelt", Some(p)))
        }
    };
    let ends = &partition.ends;
    let bounds = ends[..ends.len() - 1]
        .iter()
        .map(|&e| e as f64 / fps)
        .collect();
    Ok((
        bounds,
        ChangePointReport {
            algorithm: report.0,
            penalty: report.1,
            frames: n,
        },
    ))
}

/// Each feature to mean 0 and variance 1 over the sequence (constant features to 0), so that
/// no unit dominates and ε means the same on every video.
fn standardise(frames: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let d = frames.first().map_or(0, Vec::len);
    let n = frames.len().max(1) as f64;
    let mut out = frames.to_vec();
    for j in 0..d {
        let mean = frames.iter().map(|f| f[j]).sum::<f64>() / n;
        let var = frames.iter().map(|f| (f[j] - mean).powi(2)).sum::<f64>() / n;
        let sd = var.sqrt();
        for f in &mut out {
            f[j] = if sd > 1e-12 { (f[j] - mean) / sd } else { 0.0 };
        }
    }
    out
}

/// Shot boundaries kept greedily from the start: one is kept when the segment it closes and
/// the rest of the video both last `min_length` (shorter shots merge into the segment they
/// fall in).
fn shot_segments(shots: &[ShotBoundary], duration: f64, min_length: f64) -> Vec<f64> {
    let mut bounds: Vec<f64> = Vec::new();
    let mut start = 0.0;
    for s in shots {
        if s.time - start >= min_length && duration - s.time >= min_length {
            bounds.push(s.time);
            start = s.time;
        }
    }
    bounds
}

/// Moves each boundary to the nearest shot boundary within `snap` seconds, when every segment
/// keeps `min_length`.
fn snap_to_shots(bounds: &mut [f64], shots: &[ShotBoundary], duration: f64, opts: &SegmentOptions) {
    for i in 0..bounds.len() {
        let b = bounds[i];
        let Some(s) = shots
            .iter()
            .map(|s| s.time)
            .filter(|t| (t - b).abs() <= opts.snap)
            .min_by(|x, y| (x - b).abs().total_cmp(&(y - b).abs()))
        else {
            continue;
        };
        let before = if i == 0 { 0.0 } else { bounds[i - 1] };
        let after = bounds.get(i + 1).copied().unwrap_or(duration);
        if s - before >= opts.min_length - 1e-9 && after - s >= opts.min_length - 1e-9 {
            bounds[i] = s;
        }
    }
}

/// A video whose segments are the music segments of `analysis`: captions from `cues`, motion,
/// shot counts and suggested `music_change` flags.
pub fn segments_from_analysis(
    id: &str,
    analysis: &Analysis,
    shots: &[ShotBoundary],
    cues: &[Cue],
    opts: &SegmentOptions,
) -> Result<(Video, Option<ChangePointReport>), SegmentError> {
    opts.check()?;
    let duration = analysis.frames.duration();
    let (mut bounds, report) = match opts.method {
        Method::Shots => (shot_segments(shots, duration, opts.min_length), None),
        Method::ChangePoint => {
            let frames: Vec<Vec<f64>> = analysis
                .windows
                .iter()
                .map(|w| w.features().to_vec())
                .collect();
            let fps = 1.0 / analysis.window_seconds;
            let (b, r) = change_points(&frames, fps, opts)?;
            (b, Some(r))
        }
    };
    snap_to_shots(&mut bounds, shots, duration, opts);
    let mut edges = vec![0.0];
    edges.extend(bounds.iter().copied());
    edges.push(duration);
    let means: Vec<Option<[f64; 4]>> = edges
        .windows(2)
        .map(|e| window_mean(&analysis.windows, e[0], e[1]))
        .collect();
    let spread = feature_spread(&analysis.windows);
    let mut segments = Vec::with_capacity(edges.len() - 1);
    for (i, e) in edges.windows(2).enumerate() {
        let (start, end) = (round_ms(e[0]), round_ms(e[1]));
        let shot_count = 1 + shots
            .iter()
            .filter(|s| s.time > start + 1e-9 && s.time < end - 1e-9)
            .count() as u32;
        let at_shot = shots.iter().any(|s| (s.time - start).abs() < 1e-6);
        let jump = match (i, means[i], means.get(i.wrapping_sub(1)).copied().flatten()) {
            (0, _, _) => 0.0,
            (_, Some(a), Some(b)) => distance(&a, &b, &spread),
            _ => 0.0,
        };
        segments.push(Segment {
            start,
            end,
            caption: caption_for(cues, start, end),
            music_change: Some(i > 0 && (at_shot || jump > 1.0)),
            motion: means[i].map(|m| m[0]),
            shot_count: Some(shot_count),
            ..Segment::default()
        });
    }
    Ok((
        Video {
            id: id.to_string(),
            segments,
            switch_budget: None,
        },
        report,
    ))
}

/// Times in the video JSON are kept to the millisecond.
pub(crate) fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

fn window_mean(windows: &[Window], start: f64, end: f64) -> Option<[f64; 4]> {
    let inside: Vec<[f64; 4]> = windows
        .iter()
        .filter(|w| w.time >= start - 1e-9 && w.time < end - 1e-9)
        .map(Window::features)
        .collect();
    if inside.is_empty() {
        return None;
    }
    let mut m = [0.0; 4];
    for f in &inside {
        for j in 0..4 {
            m[j] += f[j] / inside.len() as f64;
        }
    }
    Some(m)
}

fn feature_spread(windows: &[Window]) -> [f64; 4] {
    let n = windows.len().max(1) as f64;
    std::array::from_fn(|j| {
        let mean = windows.iter().map(|w| w.features()[j]).sum::<f64>() / n;
        (windows
            .iter()
            .map(|w| (w.features()[j] - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt()
    })
}

/// Root mean square of the standardised differences.
fn distance(a: &[f64; 4], b: &[f64; 4], sd: &[f64; 4]) -> f64 {
    let s: f64 = (0..4)
        .map(|j| {
            if sd[j] > 1e-12 {
                ((a[j] - b[j]) / sd[j]).powi(2)
            } else {
                0.0
            }
        })
        .sum();
    (s / 4.0).sqrt()
}
