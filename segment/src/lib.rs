//! `segue-segment`: from a video file (or a sequence of feature vectors) to the timed segments
//! a soundtrack is planned over.
//!
//! * [`decode`]: frames decoded by the `ffmpeg` program into a pipe, downscaled.
//! * [`features`], [`analysis`]: per frame the HSV content difference (PySceneDetect's
//!   `ContentDetector` measure) and luminance; per analysis window (4 per second by default)
//!   motion from block matching, change, luminance and saturation.
//! * [`shots`]: hard cuts at a content threshold, fades through black.
//! * [`changepoint`]: the OF-VM-Net cost `|I| · log det(Σ̂_I + ε·Id)` minimised exactly by
//!   dynamic programming with a minimum segment length, or by PELT with the same optimum.
//! * [`segmenter`]: music segments from change points (snapped to shots) or from shots.
//! * [`captions`]: SRT, WebVTT or JSON captions; each segment's caption is what is said in it.
//! * [`feature_file`]: the same from a `.npy` sequence of per-frame vectors (a video model's).

pub mod analysis;
pub mod captions;
pub mod changepoint;
pub mod decode;
pub mod error;
pub mod feature_file;
pub mod features;
pub mod projection;
pub mod segmenter;
pub mod shots;

use std::path::Path;

use segue_query::video::Video;

pub use analysis::{Analysis, AnalysisOptions, analyse};
pub use captions::{Captions, Cue, read_captions};
pub use error::SegmentError;
pub use feature_file::{
    EmbedAs, FeatureOptions, SegmentedFeatures, read_npy_frames, segment_feature_file,
    segment_frames,
};
pub use segmenter::{
    ChangePointReport, Count, Method, SegmentOptions, change_points, segments_from_analysis,
};
pub use shots::{BoundaryKind, ShotBoundary, ShotOptions, detect_shots};

/// Everything [`segment_video`] takes.
#[derive(Debug, Clone, Default)]
pub struct VideoOptions {
    pub analysis: AnalysisOptions,
    pub shots: ShotOptions,
    pub segments: SegmentOptions,
    /// Subtitles (`.srt`, `.vtt`) or captions (`.json`) whose text becomes each segment's
    /// caption.
    pub captions: Option<std::path::PathBuf>,
}

/// A segmented video and how it was found.
#[derive(Debug, Clone)]
pub struct SegmentedVideo {
    /// The video in the format `segue soundtrack` reads.
    pub video: Video,
    pub shots: Vec<ShotBoundary>,
    /// Seconds of video.
    pub duration: f64,
    /// Frames decoded per second, and analysis windows.
    pub fps: f64,
    pub windows: usize,
    pub change_points: Option<ChangePointReport>,
    /// Notes for the user (e.g. captions decoded as Windows-1252).
    pub notes: Vec<String>,
}

/// Segments the video file at `path`: decode, measure, shots, music segments, captions.
pub fn segment_video(path: &Path, opts: &VideoOptions) -> Result<SegmentedVideo, SegmentError> {
    let captions = match &opts.captions {
        Some(p) => Some(read_captions(p)?),
        None => None,
    };
    let analysis = analyse(path, &opts.analysis)?;
    let shots = detect_shots(&analysis.frames, &opts.shots);
    let id = path
        .file_stem()
        .map_or_else(|| "video".to_string(), |s| s.to_string_lossy().into_owned());
    let cues = captions.as_ref().map_or(&[][..], |c| &c.cues[..]);
    let (video, report) = segments_from_analysis(&id, &analysis, &shots, cues, &opts.segments)?;
    let mut notes = Vec::new();
    if let Some(n) = captions.and_then(|c| c.note) {
        notes.push(n);
    }
    if opts.captions.is_some() && video.segments.iter().all(|s| s.caption.is_none()) {
        notes.push("no caption falls inside the video's time range".into());
    }
    Ok(SegmentedVideo {
        duration: analysis.frames.duration(),
        fps: analysis.frames.fps,
        windows: analysis.windows.len(),
        video,
        shots,
        change_points: report,
        notes,
    })
}
