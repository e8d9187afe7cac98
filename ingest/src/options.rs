//! What an ingest is asked to do, and what it reports.

use std::path::PathBuf;

use serde::Serialize;

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
    pub seconds: f64,
}
