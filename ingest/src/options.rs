//! What an ingest is asked to do, and what it reports.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use segue_index::IndexPlan;
use segue_models::{AudioAnalyzer, TextEncoder};

pub use crate::sources::CatalogFormat;

/// What happens to a catalogue row whose track id is already in the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Reject the row (an error, or a rejected row with `skip_bad_rows`).
    #[default]
    Error,
    /// Keep the library's track, ignore the row.
    Skip,
    /// Replace the library's track with the row.
    Replace,
}

impl std::str::FromStr for OnDuplicate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(Self::Error),
            "skip" => Ok(Self::Skip),
            "replace" => Ok(Self::Replace),
            other => Err(format!(
                "unknown duplicate policy {other:?} (error, skip, replace)"
            )),
        }
    }
}

/// Options of one ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub catalog: PathBuf,
    pub format: CatalogFormat,
    pub on_duplicate: OnDuplicate,
    /// Ingest the good rows and write the bad ones to a rejects file instead of failing.
    pub skip_bad_rows: bool,
    /// Where rejected rows go (default: `LIBRARY/reports/ingest-vNNNNNN-rejects.jsonl`).
    pub rejects_path: Option<PathBuf>,
    pub audio_emb_file: Option<PathBuf>,
    pub text_emb_file: Option<PathBuf>,
    /// Dimensions of raw (headerless) embedding files.
    pub audio_dim: Option<u32>,
    pub text_dim: Option<u32>,
    /// Rows per batch handed to Lance (bounds memory).
    pub batch_rows: usize,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Called after every batch of rows read (and once at the end of reading); returning
    /// [`std::ops::ControlFlow::Break`] stops the ingest with [`crate::IngestError::Cancelled`]
    /// and publishes nothing. For callers that draw their own progress (bindings, services).
    pub on_progress: Option<ProgressCallback>,
    /// Embed captions with this encoder for tracks without a `text_emb` (a caption composed of
    /// title, artist, tags, BPM and mood when there is no caption). The encoder's id is recorded
    /// in the manifest; a library whose text space came from another encoder refuses it.
    pub text_encoder: Option<Arc<TextEncoder>>,
    /// Analyse each track's audio file and fill what the catalogue lacks.
    pub audio: Option<AudioIngest>,
    /// Which derived indexes (HNSW graphs, text index) the new version gets. The default
    /// builds them all; [`IndexPlan::none`] defers them to `segue reindex` (what is still valid
    /// is carried over; searches scan exactly what no graph covers).
    pub index: IndexPlan,
}

/// How far an ingest has read its catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IngestProgressReport {
    /// Catalogue rows read so far.
    pub rows_read: u64,
    /// Work done and expected in the source's unit: bytes of a text catalogue, rows of a
    /// Parquet one.
    pub done: u64,
    /// The work expected in all, in `done`'s unit (it may grow while a compressed file is
    /// read; never below `done`).
    pub total: u64,
    /// Audio files analysed so far.
    pub audio_analyzed: u64,
}

/// What [`ProgressCallback`] calls: `Break` stops the ingest.
pub type ProgressFn = dyn Fn(&IngestProgressReport) -> std::ops::ControlFlow<()> + Send + Sync;

/// [`IngestOptions::on_progress`]: a callback shared by the ingest's threads.
#[derive(Clone)]
pub struct ProgressCallback(pub Arc<ProgressFn>);

impl ProgressCallback {
    /// Wraps `f`; it is called from the ingest's reading thread.
    pub fn new(
        f: impl Fn(&IngestProgressReport) -> std::ops::ControlFlow<()> + Send + Sync + 'static,
    ) -> Self {
        ProgressCallback(Arc::new(f))
    }
}

impl std::fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressCallback")
    }
}

/// Audio analysis during an ingest.
#[derive(Debug, Clone)]
pub struct AudioIngest {
    pub analyzer: Arc<AudioAnalyzer>,
    /// Where audio files are: relative `audio_path` values are resolved against it, and a track
    /// without `audio_path` uses `DIR/<track_id>.{wav,flac,mp3,ogg}` when that exists. Without
    /// it, relative paths are resolved against the catalogue's folder.
    pub dir: Option<PathBuf>,
    /// Tags from musicnn are added to tracks that have none when their probability is at least
    /// this (the analyser's top tags only).
    pub min_tag_probability: f32,
}

impl AudioIngest {
    pub fn new(analyzer: Arc<AudioAnalyzer>, dir: Option<PathBuf>) -> Self {
        AudioIngest {
            analyzer,
            dir,
            min_tag_probability: 0.1,
        }
    }
}

impl IngestOptions {
    pub fn new(catalog: impl Into<PathBuf>) -> Self {
        IngestOptions {
            catalog: catalog.into(),
            format: CatalogFormat::Auto,
            on_duplicate: OnDuplicate::Error,
            skip_bad_rows: false,
            rejects_path: None,
            audio_emb_file: None,
            text_emb_file: None,
            audio_dim: None,
            text_dim: None,
            batch_rows: 8192,
            progress: false,
            on_progress: None,
            text_encoder: None,
            audio: None,
            index: IndexPlan::default(),
        }
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestSummary {
    /// The library version now current (unchanged when nothing was ingested).
    pub library_version: u64,
    /// Whether this ingest published a new version.
    pub published: bool,
    pub format: String,
    pub rows_read: u64,
    pub rows_added: u64,
    pub rows_replaced: u64,
    pub rows_skipped_duplicate: u64,
    pub rows_rejected: u64,
    pub rejects_file: Option<PathBuf>,
    pub total_tracks: u64,
    pub ignored_columns: Vec<String>,
    /// Tracks whose `text_emb` the text encoder computed.
    pub text_embedded: u64,
    /// Tracks whose audio file was analysed.
    pub audio_analyzed: u64,
    /// The encoder recorded for each embedding space this ingest filled.
    pub encoders: Vec<(String, String)>,
    pub seconds: f64,
}
