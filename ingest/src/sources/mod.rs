//! Catalogue readers. Each turns one file format into a stream of [`TrackRecord`](crate::record::TrackRecord)s.

mod audio_dir;
mod embeddings;
mod generic_json;
mod generic_parquet;
mod generic_text;
mod jamendo;
mod spotify;

use std::io::Read;
use std::path::Path;

pub use audio_dir::AudioDirSource;
pub use embeddings::EmbeddingFile;

use crate::error::{IngestError, Result, SourceItem};
use segue_index::EmbeddingKind;

/// The catalogue formats `--format` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatalogFormat {
    /// Decide from the extension and the header.
    #[default]
    Auto,
    /// CSV, TSV, JSON Lines or Parquet with Segue's column names.
    Generic,
    /// MTG-Jamendo's autotagging TSV.
    Jamendo,
    /// The TidyTuesday Spotify songs CSV.
    Spotify,
}

impl std::str::FromStr for CatalogFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "generic" => Ok(Self::Generic),
            "jamendo" => Ok(Self::Jamendo),
            "spotify" => Ok(Self::Spotify),
            other => Err(format!(
                "unknown format {other:?} (auto, generic, jamendo, spotify)"
            )),
        }
    }
}

/// How far a source has read, for the progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// A catalogue being read.
pub trait Source: Send {
    /// The next row, `Ok(None)` at the end. `Err` is fatal for the whole file.
    fn next_item(&mut self) -> Result<Option<SourceItem>>;
    /// Whether the catalogue carries this embedding at all; `None` when the file cannot tell
    /// (JSON Lines without a single valid object): the library's spaces apply then.
    fn has_embedding(&self, kind: EmbeddingKind) -> Option<bool>;
    /// The embedding dimension when the file's schema fixes it.
    fn schema_dim(&self, _kind: EmbeddingKind) -> Option<u32> {
        None
    }
    /// Rows or bytes read so far, and the total.
    fn progress(&self) -> Progress;
    /// Columns present in the file that Segue does not use.
    fn ignored_columns(&self) -> Vec<String> {
        Vec::new()
    }
    /// The resolved format, for the summary and the manifest.
    fn format_name(&self) -> &'static str;
}

/// The generic text flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generic {
    Csv,
    Tsv,
    JsonLines,
    Parquet,
}

/// Opens `path` as `format`, deciding `Auto` from its extension and header.
pub fn open(path: &Path, format: CatalogFormat) -> Result<Box<dyn Source>> {
    open_for(path, format, false)
}

/// As [`open`]; with `audio_analysis` a generic catalogue may leave out `duration_s`, which
/// then comes from each track's audio file.
/// The compression format whose magic number starts the file, if any.
fn compression(path: &Path) -> Result<Option<&'static str>> {
    use std::io::Read;
    let mut head = [0u8; 6];
    let mut file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let n = file.read(&mut head).map_err(|e| IngestError::io(path, e))?;
    let head = &head[..n];
    let magics: [(&[u8], &str); 5] = [
        (&[0x1f, 0x8b], "gzip"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
        (b"BZh", "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
        (b"PK\x03\x04", "zip"),
    ];
    Ok(magics
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, kind)| *kind))
}

pub fn open_for(
    path: &Path,
    format: CatalogFormat,
    audio_analysis: bool,
) -> Result<Box<dyn Source>> {
    let required = if audio_analysis {
        generic_text::REQUIRED_WITH_AUDIO
    } else {
        generic_text::REQUIRED_COLUMNS
    };
    let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, e))?;
    if meta.is_dir() {
        return Err(IngestError::bad_file(
            path,
            "is a directory, not a catalogue file",
        ));
    }
    if !meta.is_file() {
        return Err(IngestError::bad_file(
            path,
            "not a regular file (a pipe, a device or a process substitution): a catalogue is \
             read more than once (to detect its format, then to ingest it); save it to a file \
             first",
        ));
    }
    if meta.len() == 0 {
        return Err(IngestError::bad_file(
            path,
            "the file is empty (0 bytes; files under /proc also report 0 bytes: copy such a \
             file first)",
        ));
    }
    if let Some(kind) = compression(path)? {
        return Err(IngestError::bad_file(
            path,
            format!("the file is {kind}-compressed; decompress it first"),
        ));
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let generic = match ext.as_str() {
        "csv" => Generic::Csv,
        "tsv" | "tab" => Generic::Tsv,
        "jsonl" | "ndjson" | "json" => Generic::JsonLines,
        "parquet" | "pq" => Generic::Parquet,
        _ => sniff_generic(path)?,
    };
    let format = match format {
        CatalogFormat::Auto => detect(path, generic)?,
        f => f,
    };
    Ok(match format {
        CatalogFormat::Jamendo => Box::new(jamendo::JamendoSource::open(path)?),
        CatalogFormat::Spotify => Box::new(spotify::SpotifySource::open(path)?),
        CatalogFormat::Generic | CatalogFormat::Auto => match generic {
            Generic::Csv => Box::new(generic_text::TextSource::open(path, b',', required)?),
            Generic::Tsv => Box::new(generic_text::TextSource::open(path, b'\t', required)?),
            Generic::JsonLines => Box::new(generic_json::JsonLinesSource::open(path, required)?),
            Generic::Parquet => Box::new(generic_parquet::ParquetSource::open(path, required)?),
        },
    })
}

fn head(path: &Path, n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut f = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut got = 0;
    while got < n {
        match f
            .read(&mut buf[got..])
            .map_err(|e| IngestError::io(path, e))?
        {
            0 => break,
            k => got += k,
        }
    }
    buf.truncate(got);
    Ok(buf)
}

fn sniff_generic(path: &Path) -> Result<Generic> {
    let h = head(path, 4096)?;
    if h.starts_with(b"PAR1") {
        return Ok(Generic::Parquet);
    }
    let first = h.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(if first.trim_ascii_start().starts_with(b"{") {
        Generic::JsonLines
    } else if first.contains(&b'\t') {
        Generic::Tsv
    } else {
        Generic::Csv
    })
}

/// Recognises the two real catalogues by their headers.
fn detect(path: &Path, generic: Generic) -> Result<CatalogFormat> {
    if matches!(generic, Generic::Parquet | Generic::JsonLines) {
        return Ok(CatalogFormat::Generic);
    }
    let h = head(path, 4096)?;
    let first =
        String::from_utf8_lossy(h.split(|&b| b == b'\n').next().unwrap_or_default()).into_owned();
    let cols: Vec<&str> = first.trim_end_matches('\r').split([',', '\t']).collect();
    if cols.starts_with(&["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION"]) {
        Ok(CatalogFormat::Jamendo)
    } else if cols.contains(&"track_id")
        && cols.contains(&"playlist_genre")
        && cols.contains(&"tempo")
    {
        Ok(CatalogFormat::Spotify)
    } else {
        Ok(CatalogFormat::Generic)
    }
}
