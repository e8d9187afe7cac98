//! One pass over a video's frames: per-frame series for shot detection and per-window feature
//! vectors (at the analysis rate) for change points.

use std::path::Path;

use crate::decode::FrameReader;
use crate::error::SegmentError;
use crate::features::{Planes, block_motion};

/// Settings of the pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// Width of the decoded frames, pixels.
    pub width: u32,
    /// Frames above this rate are dropped by the decoder.
    pub max_fps: f64,
    /// Windows per second of the change-point features (4–10 is plenty).
    pub analysis_fps: f64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            width: 96,
            max_fps: 30.0,
            analysis_fps: 4.0,
        }
    }
}

/// Every decoded frame's measurements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameSeries {
    /// Frames per second of the series.
    pub fps: f64,
    /// Content difference to the previous frame (0 for the first).
    pub content: Vec<f64>,
    /// Mean luminance, 0–255.
    pub luma: Vec<f64>,
}

impl FrameSeries {
    /// Seconds covered.
    pub fn duration(&self) -> f64 {
        self.content.len() as f64 / self.fps.max(1e-9)
    }
}

/// The features of one analysis window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start, seconds.
    pub time: f64,
    /// Block-matching motion, frame widths per second.
    pub motion: f64,
    /// Mean content difference between consecutive frames in the window.
    pub change: f64,
    /// Mean luminance, 0–255.
    pub luma: f64,
    /// Mean saturation, 0–255.
    pub saturation: f64,
}

impl Window {
    /// Features per window.
    pub const DIMS: usize = 4;

    /// The change-point features (motion, change, luminance, saturation).
    pub fn features(&self) -> [f64; Self::DIMS] {
        [self.motion, self.change, self.luma, self.saturation]
    }
}

/// The result of one pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    pub frames: FrameSeries,
    pub windows: Vec<Window>,
    /// Seconds per window.
    pub window_seconds: f64,
}

/// Decodes `path` once and measures every frame and window.
pub fn analyse(path: &Path, opts: &AnalysisOptions) -> Result<Analysis, SegmentError> {
    let positive = |x: f64| x > 0.0 && x.is_finite();
    if !positive(opts.analysis_fps) || !positive(opts.max_fps) {
        return Err(SegmentError::InvalidArgument(format!(
            "frame rates must be positive: analysis {} fps, decoding at most {} fps",
            opts.analysis_fps, opts.max_fps
        )));
    }
    let mut reader = FrameReader::open(path, opts.width, opts.max_fps)?;
    let fps = reader.fps;
    let step = ((fps / opts.analysis_fps).round() as usize).max(1);
    let mut series = FrameSeries {
        fps,
        ..FrameSeries::default()
    };
    let mut windows = Vec::new();
    let mut prev: Option<Planes> = None;
    let mut window_first: Option<Planes> = None;
    let mut acc = (0.0, 0.0, 0.0, 0usize, 0.0f64);
    let mut last_motion = 0.0;
    let (w, h) = (reader.width, reader.height);
    while let Some((_, rgb)) = reader.next_frame()? {
        let planes = Planes::from_rgb(rgb, w, h);
        let i = series.content.len();
        let content = prev.as_ref().map_or(0.0, |p| planes.content_difference(p));
        series.content.push(content);
        series.luma.push(planes.mean_luma());
        if i.is_multiple_of(step) {
            if i > 0 {
                windows.push(close_window(acc, i - step, fps, last_motion));
            }
            // Motion between this window's first frame and the previous one's, unless a cut lies
            // between them (block matching across a cut measures nothing real).
            let motion = match &window_first {
                Some(first) if acc.4 < CUT_GUARD => {
                    block_motion(first, &planes).map(|m| m * fps / step as f64)
                }
                _ => None,
            };
            last_motion = motion.unwrap_or(last_motion);
            acc = (0.0, 0.0, 0.0, 0, 0.0);
            window_first = Some(planes.clone());
        }
        acc.0 += content;
        acc.1 += planes.mean_luma();
        acc.2 += planes.mean_saturation();
        acc.3 += 1;
        acc.4 = acc.4.max(content);
        prev = Some(planes);
    }
    let n = series.content.len();
    if n == 0 {
        return Err(SegmentError::bad_video(path, "the video has no frames"));
    }
    if acc.3 > 0 {
        windows.push(close_window(acc, n - acc.3, fps, last_motion));
    }
    Ok(Analysis {
        frames: series,
        windows,
        window_seconds: step as f64 / fps,
    })
}

/// A content jump above this inside a window means a cut: its motion is carried over.
const CUT_GUARD: f64 = 20.0;

fn close_window(acc: (f64, f64, f64, usize, f64), first: usize, fps: f64, motion: f64) -> Window {
    let n = acc.3.max(1) as f64;
    Window {
        time: first as f64 / fps,
        motion,
        change: acc.0 / n,
        luma: acc.1 / n,
        saturation: acc.2 / n,
    }
}
