//! Generic JSON Lines catalogues: one object per line with Segue's field names.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use segue_index::EmbeddingKind;
use segue_index::schema::col;

use super::generic_text::KNOWN_COLUMNS;
use super::{Progress, Source};
use crate::error::{IngestError, Result, RowError, SourceItem};
use crate::fields;
use crate::record::TrackRecord;

pub struct JsonLinesSource {
    path: PathBuf,
    reader: BufReader<File>,
    line: Vec<u8>,
    row: u64,
    bytes_read: u64,
    total_bytes: u64,
    /// Items read ahead while looking for the first valid object.
    peeked: std::collections::VecDeque<SourceItem>,
    /// Fields of the first valid object decide which embeddings the catalogue carries.
    has_audio: Option<bool>,
    has_text: Option<bool>,
    ignored: Vec<String>,
    /// Fields every object must have.
    required: &'static [&'static str],
}

impl JsonLinesSource {
    pub fn open(path: &Path, required: &'static [&'static str]) -> Result<Self> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut src = JsonLinesSource {
            path: path.into(),
            reader: BufReader::with_capacity(1 << 20, file),
            line: Vec::new(),
            row: 0,
            bytes_read: 0,
            total_bytes,
            peeked: Default::default(),
            has_audio: None,
            has_text: None,
            ignored: Vec::new(),
            required,
        };
        // Read ahead to the first valid object so has_embedding() can answer before streaming
        // starts; bad lines before it are kept and reported in order.
        while src.has_audio.is_none() {
            match src.read_item()? {
                Some(item) => src.peeked.push_back(item),
                None => break,
            }
        }
        Ok(src)
    }

    fn read_item(&mut self) -> Result<Option<SourceItem>> {
        loop {
            self.line.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.line)
                .map_err(|e| IngestError::io(&self.path, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.bytes_read += n as u64;
            self.row += 1;
            if self.line.trim_ascii().is_empty() {
                self.row -= 1;
                continue;
            }
            let row = self.row;
            let object = match parse_object(row, &self.line) {
                Ok(o) => o,
                Err(e) => return Ok(Some(SourceItem::Bad(e))),
            };
            if self.has_audio.is_none() {
                self.has_audio = Some(object.contains_key(col::AUDIO_EMB));
                self.has_text = Some(object.contains_key(col::TEXT_EMB));
                self.ignored = object
                    .keys()
                    .filter(|k| !KNOWN_COLUMNS.contains(&k.as_str()))
                    .cloned()
                    .collect();
            }
            return Ok(Some(match record(row, &object, self.required) {
                Ok(r) => SourceItem::Record(Box::new(r)),
                Err(e) => SourceItem::Bad(e),
            }));
        }
    }
}

fn parse_object(row: u64, line: &[u8]) -> std::result::Result<Map<String, Value>, RowError> {
    if let Err(e) = std::str::from_utf8(line) {
        // Name the field holding the bad bytes: parse a lossy copy and look for U+FFFD.
        let lossy = String::from_utf8_lossy(line);
        let field = serde_json::from_str::<Map<String, Value>>(&lossy)
            .ok()
            .and_then(|m| {
                m.into_iter()
                    .find(|(_, v)| v.to_string().contains('\u{fffd}'))
                    .map(|(k, _)| k)
            })
            .unwrap_or_else(|| "(line)".into());
        return Err(RowError::new(
            row,
            field,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        ));
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(RowError::new(row, "(line)", "not a JSON object")),
        Err(e) => Err(RowError::new(
            row,
            "(line)",
            format!("invalid JSON (truncated line?): {e}"),
        )),
    }
}

fn record(
    row: u64,
    o: &Map<String, Value>,
    required: &[&str],
) -> std::result::Result<TrackRecord, RowError> {
    for req in required {
        if !o.contains_key(*req) {
            return Err(RowError::new(row, *req, "missing"));
        }
    }
    let null = Value::Null;
    let g = |k: &str| o.get(k).unwrap_or(&null);
    let track_id = fields::json_string(row, col::TRACK_ID, g(col::TRACK_ID))?.unwrap_or_default();
    let parse = || -> std::result::Result<TrackRecord, RowError> {
        Ok(TrackRecord {
            row,
            track_id: track_id.clone(),
            title: fields::json_string(row, col::TITLE, g(col::TITLE))?,
            artist: fields::json_string(row, col::ARTIST, g(col::ARTIST))?,
            album: fields::json_string(row, col::ALBUM, g(col::ALBUM))?,
            duration_s: fields::json_number(row, col::DURATION_S, g(col::DURATION_S))?,
            tags: fields::json_string_list(row, col::TAGS, g(col::TAGS))?,
            caption: fields::json_string(row, col::CAPTION, g(col::CAPTION))?,
            has_vocals: fields::json_bool(row, col::HAS_VOCALS, g(col::HAS_VOCALS))?,
            bpm: fields::json_number(row, col::BPM, g(col::BPM))?,
            energy: fields::json_number(row, col::ENERGY, g(col::ENERGY))?,
            spectral_centroid: fields::json_number(
                row,
                col::SPECTRAL_CENTROID,
                g(col::SPECTRAL_CENTROID),
            )?,
            mfcc: fields::json_number_list(row, col::MFCC, g(col::MFCC))?,
            valence: fields::json_number(row, col::VALENCE, g(col::VALENCE))?,
            danceability: fields::json_number(row, col::DANCEABILITY, g(col::DANCEABILITY))?,
            loudness_db: fields::json_number(row, col::LOUDNESS_DB, g(col::LOUDNESS_DB))?,
            audio_path: fields::json_string(row, col::AUDIO_PATH, g(col::AUDIO_PATH))?,
            audio_emb: fields::to_f32(fields::json_number_list(
                row,
                col::AUDIO_EMB,
                g(col::AUDIO_EMB),
            )?),
            text_emb: fields::to_f32(fields::json_number_list(
                row,
                col::TEXT_EMB,
                g(col::TEXT_EMB),
            )?),
            analysis: None,
        })
    };
    parse().map_err(|mut e| {
        e.track_id = (!track_id.is_empty()).then(|| track_id.clone());
        e
    })
}

impl Source for JsonLinesSource {
    fn next_item(&mut self) -> Result<Option<SourceItem>> {
        if let Some(item) = self.peeked.pop_front() {
            return Ok(Some(item));
        }
        self.read_item()
    }

    fn has_embedding(&self, kind: EmbeddingKind) -> Option<bool> {
        match kind {
            EmbeddingKind::Audio => self.has_audio,
            EmbeddingKind::Text => self.has_text,
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.bytes_read,
            total: self.total_bytes,
        }
    }

    fn ignored_columns(&self) -> Vec<String> {
        self.ignored.clone()
    }

    fn format_name(&self) -> &'static str {
        "generic-jsonl"
    }
}
