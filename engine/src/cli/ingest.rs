//! `segue ingest`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use segue::{CatalogFormat, IngestOptions, OnDuplicate};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The library directory (created if it does not exist).
    #[arg(long)]
    library: PathBuf,
    /// The catalogue: CSV, TSV, JSON Lines or Parquet.
    #[arg(long)]
    catalog: PathBuf,
    /// auto, generic, jamendo or spotify.
    #[arg(long, default_value = "auto")]
    format: CatalogFormat,
    /// What a track id already in the library does: error, skip or replace.
    #[arg(long, default_value = "error")]
    on_duplicate: OnDuplicate,
    /// Ingest the good rows; write the bad ones with their reasons to a rejects file.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Where the rejects file goes (default: LIBRARY/reports/ingest-vNNNNNN-rejects.jsonl).
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Audio-space embeddings in catalogue row order (.npy, or raw little-endian f32 with --audio-dim).
    #[arg(long)]
    audio_emb: Option<PathBuf>,
    /// Caption text embeddings in catalogue row order (.npy, or raw f32 with --text-dim).
    #[arg(long)]
    text_emb: Option<PathBuf>,
    #[arg(long)]
    audio_dim: Option<u32>,
    #[arg(long)]
    text_dim: Option<u32>,
    /// Rows per batch (bounds memory).
    #[arg(long, default_value_t = 8192)]
    batch_rows: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: IngestArgs) -> anyhow::Result<()> {
    let opts = IngestOptions {
        format: a.format,
        on_duplicate: a.on_duplicate,
        skip_bad_rows: a.skip_bad_rows,
        rejects_path: a.rejects,
        audio_emb_file: a.audio_emb,
        text_emb_file: a.text_emb,
        audio_dim: a.audio_dim,
        text_dim: a.text_dim,
        batch_rows: a.batch_rows,
        progress: std::io::stderr().is_terminal(),
        ..IngestOptions::new(a.catalog)
    };
    let s = segue::ingest(&a.library, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    if s.published {
        println!(
            "published version {} of {}: {} tracks in all",
            s.library_version,
            a.library.display(),
            s.total_tracks
        );
    } else {
        println!(
            "nothing new to ingest: {} stays at version {}",
            a.library.display(),
            s.library_version
        );
    }
    println!(
        "{} ({}): {} rows read, {} added, {} replaced, {} duplicates skipped, {} rejected in {:.1} s ({:.0} rows/s)",
        opts.catalog.display(),
        s.format,
        s.rows_read,
        s.rows_added,
        s.rows_replaced,
        s.rows_skipped_duplicate,
        s.rows_rejected,
        s.seconds,
        s.rows_read as f64 / s.seconds.max(1e-9)
    );
    if let Some(r) = &s.rejects_file {
        println!("rejected rows and their reasons: {}", r.display());
    }
    if !s.ignored_columns.is_empty() {
        println!("ignored columns: {}", s.ignored_columns.join(", "));
    }
    Ok(())
}
