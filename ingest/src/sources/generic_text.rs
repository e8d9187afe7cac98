//! Generic CSV / TSV catalogues with a header naming Segue's columns.
//!
//! Lists inside a cell (tags, mfcc, embeddings) are a JSON array or `;`-separated values.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use segue_index::EmbeddingKind;
use segue_index::schema::col;

use super::{Progress, Source};
use crate::error::{IngestError, Result, RowError, SourceItem};
use crate::fields;
use crate::record::TrackRecord;

/// Every column a generic catalogue may carry.
pub(crate) const KNOWN_COLUMNS: &[&str] = &[
    col::TRACK_ID,
    col::TITLE,
    col::ARTIST,
    col::ALBUM,
    col::DURATION_S,
    col::TAGS,
    col::CAPTION,
    col::HAS_VOCALS,
    col::BPM,
    col::ENERGY,
    col::SPECTRAL_CENTROID,
    col::MFCC,
    col::VALENCE,
    col::DANCEABILITY,
    col::LOUDNESS_DB,
    col::AUDIO_PATH,
    col::AUDIO_EMB,
    col::TEXT_EMB,
];

pub(crate) const REQUIRED_COLUMNS: &[&str] = &[col::TRACK_ID, col::DURATION_S];
/// With audio analysis the duration comes from the audio file.
pub(crate) const REQUIRED_WITH_AUDIO: &[&str] = &[col::TRACK_ID];

pub struct TextSource {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    columns: HashMap<String, usize>,
    header_len: usize,
    ignored: Vec<String>,
    row: u64,
    total_bytes: u64,
    record: csv::ByteRecord,
    format: &'static str,
}

impl TextSource {
    pub fn open(path: &Path, delimiter: u8, required: &[&str]) -> Result<Self> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let header = reader
            .byte_headers()
            .map_err(|e| IngestError::bad_file(path, format!("cannot read the header: {e}")))?
            .clone();
        let mut columns = HashMap::new();
        let mut ignored = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = std::str::from_utf8(name)
                .map_err(|_| {
                    IngestError::bad_file(
                        path,
                        format!("header column {} is not valid UTF-8", i + 1),
                    )
                })?
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string();
            if KNOWN_COLUMNS.contains(&name.as_str()) {
                if columns.insert(name.clone(), i).is_some() {
                    return Err(IngestError::bad_file(
                        path,
                        format!("column {name} appears twice in the header"),
                    ));
                }
            } else if !name.is_empty() {
                ignored.push(name);
            }
        }
        if columns.is_empty() && header.len() <= 1 && header.as_slice().is_empty() {
            return Err(IngestError::bad_file(path, "no header line"));
        }
        for req in required {
            if !columns.contains_key(*req) {
                return Err(IngestError::bad_file(
                    path,
                    format!(
                        "missing required column {req} (header has: {}){}",
                        header_names(&header),
                        delimiter_hint(&header, delimiter)
                    ),
                ));
            }
        }
        Ok(TextSource {
            path: path.into(),
            reader,
            header_len: header.len(),
            columns,
            ignored,
            row: 0,
            total_bytes,
            record: csv::ByteRecord::new(),
            format: if delimiter == b'\t' {
                "generic-tsv"
            } else {
                "generic-csv"
            },
        })
    }

    fn cell<'a>(&'a self, name: &str) -> std::result::Result<Option<&'a str>, RowError> {
        let Some(&i) = self.columns.get(name) else {
            return Ok(None);
        };
        match self.record.get(i) {
            None => Err(RowError::new(
                self.row,
                name,
                format!(
                    "missing: the row has {} fields, the header {} (truncated line?)",
                    self.record.len(),
                    self.header_len
                ),
            )),
            Some(bytes) => std::str::from_utf8(bytes).map(Some).map_err(|e| {
                RowError::new(
                    self.row,
                    name,
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                )
            }),
        }
    }

    fn parse_row(&self) -> std::result::Result<TrackRecord, RowError> {
        let row = self.row;
        let c = |name: &str| self.cell(name).map(|v| v.unwrap_or(""));
        let track_id = c(col::TRACK_ID)?.trim().to_string();
        let with_id = |mut e: RowError| {
            e.track_id = (!track_id.is_empty()).then(|| track_id.clone());
            e
        };
        let parse = || -> std::result::Result<TrackRecord, RowError> {
            Ok(TrackRecord {
                row,
                track_id: track_id.clone(),
                title: fields::text(c(col::TITLE)?),
                artist: fields::text(c(col::ARTIST)?),
                album: fields::text(c(col::ALBUM)?),
                duration_s: fields::number(row, col::DURATION_S, c(col::DURATION_S)?)?,
                tags: fields::string_list(row, col::TAGS, c(col::TAGS)?)?,
                caption: fields::text(c(col::CAPTION)?),
                has_vocals: fields::boolean(row, col::HAS_VOCALS, c(col::HAS_VOCALS)?)?,
                bpm: fields::number(row, col::BPM, c(col::BPM)?)?,
                energy: fields::number(row, col::ENERGY, c(col::ENERGY)?)?,
                spectral_centroid: fields::number(
                    row,
                    col::SPECTRAL_CENTROID,
                    c(col::SPECTRAL_CENTROID)?,
                )?,
                mfcc: fields::number_list(row, col::MFCC, c(col::MFCC)?)?,
                valence: fields::number(row, col::VALENCE, c(col::VALENCE)?)?,
                danceability: fields::number(row, col::DANCEABILITY, c(col::DANCEABILITY)?)?,
                loudness_db: fields::number(row, col::LOUDNESS_DB, c(col::LOUDNESS_DB)?)?,
                audio_path: fields::text(c(col::AUDIO_PATH)?),
                audio_emb: fields::to_f32(fields::number_list(
                    row,
                    col::AUDIO_EMB,
                    c(col::AUDIO_EMB)?,
                )?),
                text_emb: fields::to_f32(fields::number_list(
                    row,
                    col::TEXT_EMB,
                    c(col::TEXT_EMB)?,
                )?),
                analysis: None,
            })
        };
        parse().map_err(with_id)
    }
}

impl Source for TextSource {
    fn next_item(&mut self) -> Result<Option<SourceItem>> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| {
                    IngestError::bad_file(&self.path, format!("row {}: {e}", self.row + 1))
                })?;
            if !more {
                return Ok(None);
            }
            self.row += 1;
            // A blank line (a single empty field) is not a row.
            if self.record.len() == 1 && self.record.get(0).is_some_and(|f| f.is_empty()) {
                continue;
            }
            return Ok(Some(match self.parse_row() {
                Ok(r) => SourceItem::Record(Box::new(r)),
                Err(e) => SourceItem::Bad(e),
            }));
        }
    }

    fn has_embedding(&self, kind: EmbeddingKind) -> Option<bool> {
        Some(self.columns.contains_key(kind.column()))
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.reader.position().byte(),
            total: self.total_bytes,
        }
    }

    fn ignored_columns(&self) -> Vec<String> {
        self.ignored.clone()
    }

    fn format_name(&self) -> &'static str {
        self.format
    }
}

/// When the whole header is one column holding another usual delimiter, the file is probably
/// delimited by that one.
fn delimiter_hint(h: &csv::ByteRecord, delimiter: u8) -> String {
    let name = |d: u8| match d {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", d as char),
    };
    match (h.len(), h.get(0)) {
        (1, Some(only)) => [b',', b'\t', b';', b'|']
            .into_iter()
            .filter(|&d| d != delimiter)
            .find(|d| only.contains(d))
            .map(|d| {
                format!(
                    "; the header seems delimited by {} but this file is read as delimited by {} \
                     (.csv: comma, .tsv: tab)",
                    name(d),
                    name(delimiter)
                )
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn header_names(h: &csv::ByteRecord) -> String {
    h.iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
