//! The TidyTuesday Spotify songs CSV. It lists a song once per playlist it is in; ingest yields
//! one track per distinct `track_id` (at its first row) with every playlist's genre and
//! subgenre merged into its tags (`genre:pop`, `subgenre:dance-pop`).
//!
//! Mapping: track_name → title, track_artist → artist, track_album_name → album,
//! duration_ms / 1000 → duration_s, tempo → bpm (0 means unknown), energy, valence,
//! danceability, loudness → loudness_db, instrumentalness < 0.5 → has_vocals (Spotify's own
//! threshold for "instrumental").

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use segue_index::EmbeddingKind;

use super::{Progress, Source};
use crate::error::{IngestError, Result, RowError, SourceItem};
use crate::fields;
use crate::record::{TrackRecord, normalise_tags};

const REQUIRED: [&str; 12] = [
    "track_id",
    "track_name",
    "track_artist",
    "track_album_name",
    "playlist_genre",
    "playlist_subgenre",
    "energy",
    "loudness",
    "valence",
    "tempo",
    "duration_ms",
    "danceability",
];

pub struct SpotifySource {
    items: VecDeque<SourceItem>,
    total: u64,
    done: u64,
}

impl SpotifySource {
    /// Reads the whole file (tens of thousands of rows) because a song's rows are scattered.
    pub fn open(path: &Path) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| IngestError::bad_file(path, e.to_string()))?;
        let header = reader
            .byte_headers()
            .map_err(|e| IngestError::bad_file(path, format!("cannot read the header: {e}")))?
            .clone();
        let names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        for req in REQUIRED {
            if !index.contains_key(req) {
                return Err(IngestError::bad_file(
                    path,
                    format!("not the Spotify songs CSV: missing column {req}"),
                ));
            }
        }
        let col = |name: &str| index.get(name).copied();
        let instrumentalness = col("instrumentalness");

        let mut items: Vec<SourceItem> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut record = csv::ByteRecord::new();
        let mut row = 0u64;
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| IngestError::bad_file(path, format!("row {}: {e}", row + 1)))?
        {
            row += 1;
            let get = |name: &str| -> std::result::Result<&str, RowError> {
                let i = col(name).expect("required column");
                let bytes = record.get(i).ok_or_else(|| {
                    RowError::new(
                        row,
                        name,
                        format!(
                            "missing: the row has only {} fields (truncated line?)",
                            record.len()
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
            let parsed = (|| -> std::result::Result<(TrackRecord, [String; 2]), RowError> {
                let track_id = get("track_id")?.trim().to_string();
                let fail = |mut e: RowError| {
                    e.track_id = (!track_id.is_empty()).then(|| track_id.clone());
                    e
                };
                let num = |name: &str| -> std::result::Result<Option<f64>, RowError> {
                    fields::number(row, name, get(name).map_err(fail)?).map_err(fail)
                };
                let duration_s = num("duration_ms")?.map(|ms| ms / 1000.0);
                let bpm = num("tempo")?.filter(|&t| t > 0.0);
                let has_vocals = match instrumentalness {
                    Some(i) => {
                        let v = record
                            .get(i)
                            .map(|b| String::from_utf8_lossy(b).into_owned())
                            .unwrap_or_default();
                        fields::number(row, "instrumentalness", &v)
                            .map_err(fail)?
                            .map(|x| x < 0.5)
                    }
                    None => None,
                };
                let genre = format!("genre:{}", get("playlist_genre").map_err(fail)?.trim());
                let subgenre = format!(
                    "subgenre:{}",
                    get("playlist_subgenre").map_err(fail)?.trim()
                );
                let rec = TrackRecord {
                    row,
                    title: fields::text(get("track_name").map_err(fail)?),
                    artist: fields::text(get("track_artist").map_err(fail)?),
                    album: fields::text(get("track_album_name").map_err(fail)?),
                    duration_s,
                    bpm,
                    energy: num("energy")?,
                    valence: num("valence")?,
                    danceability: num("danceability")?,
                    loudness_db: num("loudness")?,
                    has_vocals,
                    track_id,
                    ..Default::default()
                };
                Ok((rec, [genre, subgenre]))
            })();
            match parsed {
                Err(e) => items.push(SourceItem::Bad(e)),
                Ok((rec, tags)) => match by_id.get(&rec.track_id) {
                    Some(&at) => {
                        if let SourceItem::Record(first) = &mut items[at] {
                            first.tags.extend(tags);
                        }
                    }
                    None => {
                        by_id.insert(rec.track_id.clone(), items.len());
                        let mut rec = rec;
                        rec.tags.extend(tags);
                        items.push(SourceItem::Record(Box::new(rec)));
                    }
                },
            }
        }
        for item in &mut items {
            if let SourceItem::Record(r) = item {
                r.tags = normalise_tags(std::mem::take(&mut r.tags));
            }
        }
        Ok(SpotifySource {
            total: items.len() as u64,
            items: items.into(),
            done: 0,
        })
    }
}

impl Source for SpotifySource {
    fn next_item(&mut self) -> Result<Option<SourceItem>> {
        let item = self.items.pop_front();
        if item.is_some() {
            self.done += 1;
        }
        Ok(item)
    }

    fn has_embedding(&self, _kind: EmbeddingKind) -> Option<bool> {
        Some(false)
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.done,
            total: self.total,
        }
    }

    fn format_name(&self) -> &'static str {
        "spotify"
    }
}
