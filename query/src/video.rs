//! The video input: a video is a sequence of timed segments, each described by embeddings
//! and/or a caption.
//!
//! # File format
//!
//! A `.json` file holds one video object; a `.jsonl` (or `.ndjson`) file holds one video object
//! per line (blank lines are skipped). A video:
//!
//! ```json
//! {
//!   "id": "beach-trip",
//!   "switch_budget": 4,
//!   "segments": [
//!     {"start": 0.0, "end": 9.0, "audio_emb": [0.01, -0.2, ...], "caption": "waves at dawn"},
//!     {"start": 9.0, "end": 15.5, "text_emb": [0.3, ...], "music_change": true}
//!   ]
//! }
//! ```
//!
//! * `id` (string, required, unique within a file).
//! * `segments` (required, at least one), in time order and not overlapping (gaps are allowed):
//!   * `start`, `end`: seconds, finite, `0 ≤ start < end`, `start ≥` the previous segment's `end`.
//!   * `audio_emb`: embedding in the library's audio space (e.g. from a cross-modal video model);
//!     `text_emb`: embedding of the segment's caption in the library's text space; `caption`:
//!     text, to be embedded into `text_emb` by an encoder when one is available. At least one of
//!     the three is required. Embeddings must be finite, not all zero, and of the library's
//!     dimension.
//!   * `music_change` (optional bool): ground truth "the music changes at this segment", used
//!     only to fit the switch-budget model (`segue segment` suggests it).
//!   * `motion` (optional, ≥ 0): how much moves on screen, in frame widths per second, as
//!     `segue segment` measures it; planning can match it to the tracks' energy.
//!   * `shot_count` (optional): how many camera shots the segment holds.
//! * `switch_budget` (optional non-negative integer): the number of music switches wanted. When
//!   absent, the fitted switch-budget model supplies one.
//!
//! Unknown fields are rejected so that a misspelt field name is an error, not a silently
//! missing embedding.

mod read;
mod validate;

use serde::{Deserialize, Serialize};

pub use read::{parse_video, read_videos};

/// One video: segments in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    pub id: String,
    pub segments: Vec<Segment>,
    /// Wanted number of music switches (the RL-Soundtrack `C_target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch_budget: Option<u32>,
}

/// One segment of a video.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Start time in seconds.
    pub start: f64,
    /// End time in seconds.
    pub end: f64,
    /// Audio-space embedding of the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_emb: Option<Vec<f32>>,
    /// Text-space embedding of the segment's caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_emb: Option<Vec<f32>>,
    /// Caption text, to be embedded into `text_emb` by an encoder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Ground truth: the music changes at the start of this segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub music_change: Option<bool>,
    /// On-screen motion, frame widths per second (as `segue segment` measures it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<f64>,
    /// Camera shots in the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shot_count: Option<u32>,
    /// Forces the transition into this segment when the music changes here (`cut`,
    /// `crossfade`, `fade`, `gap`, `bridge`); otherwise the director chooses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<crate::arrange::TransitionKind>,
}

impl Segment {
    /// `end − start` in seconds.
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
}

impl Video {
    /// Number of segments flagged `music_change: true`, or `None` when no segment carries the
    /// flag at all (an unlabelled video, which must not count as "zero changes" when fitting).
    pub fn music_changes(&self) -> Option<u32> {
        if self.segments.iter().all(|s| s.music_change.is_none()) {
            return None;
        }
        Some(
            self.segments
                .iter()
                .filter(|s| s.music_change == Some(true))
                .count() as u32,
        )
    }

    /// Checks the rules listed in the module documentation. `dims` are the expected embedding
    /// dimensions; a `None` dimension only requires the video's own embeddings to agree.
    pub fn validate(&self, dims: EmbeddingDims) -> Result<(), VideoIssue> {
        validate::validate(self, dims)
    }
}

/// Expected embedding dimensions per space (`None`: not fixed by the caller).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingDims {
    pub audio: Option<usize>,
    pub text: Option<usize>,
}

impl From<segue_index::Dims> for EmbeddingDims {
    fn from(d: segue_index::Dims) -> Self {
        EmbeddingDims {
            audio: d.audio.map(|x| x as usize),
            text: d.text.map(|x| x as usize),
        }
    }
}

/// What is wrong with a video, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoIssue {
    /// The video's `id`, when it could be read.
    pub video: Option<String>,
    /// 0-based segment index.
    pub segment: Option<usize>,
    /// The offending field.
    pub field: Option<String>,
    pub message: String,
}

impl VideoIssue {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        VideoIssue {
            video: None,
            segment: None,
            field: None,
            message: message.into(),
        }
    }

    pub(crate) fn video(mut self, id: &str) -> Self {
        self.video = Some(id.to_string());
        self
    }

    pub(crate) fn segment(mut self, i: usize) -> Self {
        self.segment = Some(i);
        self
    }

    pub(crate) fn field(mut self, f: &str) -> Self {
        self.field = Some(f.to_string());
        self
    }
}

impl std::fmt::Display for VideoIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(v) = &self.video {
            parts.push(format!("video `{v}`"));
        }
        if let Some(s) = self.segment {
            parts.push(format!("segment {s}"));
        }
        if let Some(field) = &self.field {
            parts.push(format!("field `{field}`"));
        }
        if parts.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", parts.join(", "), self.message)
        }
    }
}
