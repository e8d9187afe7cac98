//! MTG-Jamendo's autotagging TSV: `TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS...`, where
//! every field from the sixth on is one tag such as `genre---rock`, `instrument---piano` or
//! `mood/theme---calm`. Tags become `genre:rock`, `instrument:piano`, `mood:calm`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use segue_index::EmbeddingKind;

use super::{Progress, Source};
use crate::error::{IngestError, Result, RowError, SourceItem};
use crate::fields;
use crate::record::{TrackRecord, normalise_tags};

const HEADER: [&str; 5] = ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION"];

pub struct JamendoSource {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
    row: u64,
    total_bytes: u64,
}

impl JamendoSource {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .quoting(false)
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let header = reader
            .byte_headers()
            .map_err(|e| IngestError::bad_file(path, format!("cannot read the header: {e}")))?;
        let names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        if names.len() < 5 || names[..5] != HEADER {
            return Err(IngestError::bad_file(
                path,
                format!(
                    "not an MTG-Jamendo TSV: header starts {:?}, expected {HEADER:?} then TAGS",
                    names
                ),
            ));
        }
        Ok(JamendoSource {
            path: path.into(),
            reader,
            record: csv::ByteRecord::new(),
            row: 0,
            total_bytes,
        })
    }

    fn parse(&self) -> std::result::Result<TrackRecord, RowError> {
        let row = self.row;
        let field = |i: usize, name: &str| -> std::result::Result<&str, RowError> {
            let bytes = self.record.get(i).ok_or_else(|| {
                RowError::new(
                    row,
                    name,
                    format!(
                        "missing: the row has only {} fields (truncated line?)",
                        self.record.len()
                    ),
                )
            })?;
            std::str::from_utf8(bytes).map_err(|e| {
                RowError::new(
                    row,
                    name,
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                )
            })
        };
        let track_id = field(0, "TRACK_ID")?.trim().to_string();
        let fail = |mut e: RowError| {
            e.track_id = (!track_id.is_empty()).then(|| track_id.clone());
            e
        };
        let artist = fields::text(field(1, "ARTIST_ID").map_err(fail)?);
        let album = fields::text(field(2, "ALBUM_ID").map_err(fail)?);
        let audio_path = fields::text(field(3, "PATH").map_err(fail)?);
        let duration =
            fields::number(row, "DURATION", field(4, "DURATION").map_err(fail)?).map_err(fail)?;
        let mut tags = Vec::new();
        for i in 5..self.record.len() {
            let raw = field(i, "TAGS").map_err(fail)?.trim();
            if raw.is_empty() {
                continue;
            }
            let Some((kind, value)) = raw.split_once("---") else {
                return Err(fail(RowError::new(
                    row,
                    "TAGS",
                    format!("tag {raw:?} is not of the form kind---value"),
                )));
            };
            let kind = if kind == "mood/theme" { "mood" } else { kind };
            tags.push(format!("{kind}:{value}"));
        }
        Ok(TrackRecord {
            row,
            track_id,
            artist,
            album,
            audio_path,
            duration_s: duration,
            tags: normalise_tags(tags),
            ..Default::default()
        })
    }
}

impl Source for JamendoSource {
    fn next_item(&mut self) -> Result<Option<SourceItem>> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| IngestError::bad_file(&self.path, format!("row {}: {e}", self.row + 1)))?;
        if !more {
            return Ok(None);
        }
        self.row += 1;
        Ok(Some(match self.parse() {
            Ok(r) => SourceItem::Record(Box::new(r)),
            Err(e) => SourceItem::Bad(e),
        }))
    }

    fn has_embedding(&self, _kind: EmbeddingKind) -> Option<bool> {
        Some(false)
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.reader.position().byte(),
            total: self.total_bytes,
        }
    }

    fn format_name(&self) -> &'static str {
        "jamendo"
    }
}
