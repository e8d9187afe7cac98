//! Track fields a hit can carry, read from Lance for the hits only.

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};
use serde::Serialize;

use segue_index::Library;
use segue_index::schema::col;

use crate::error::QueryError;

/// A field of a track that a search can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Artist,
    Album,
    DurationS,
    Bpm,
    Energy,
    HasVocals,
    Tags,
    Caption,
    /// From the track analysis: "D minor".
    Key,
    TempoStability,
    /// Integrated loudness: the catalogue's, or EBU R128 LUFS from the audio analysis.
    LoudnessDb,
}

impl Field {
    /// The scalar fields `segue search --json` prints.
    pub const SCALARS: [Field; 11] = [
        Field::Title,
        Field::Artist,
        Field::Album,
        Field::DurationS,
        Field::Bpm,
        Field::Energy,
        Field::HasVocals,
        Field::Tags,
        Field::Key,
        Field::TempoStability,
        Field::LoudnessDb,
    ];

    /// Every field: the scalars, then the caption.
    pub const ALL: [Field; 12] = {
        let mut all = [Field::Caption; 12];
        let mut i = 0;
        while i < Field::SCALARS.len() {
            all[i] = Field::SCALARS[i];
            i += 1;
        }
        all
    };

    pub fn column(self) -> &'static str {
        match self {
            Field::Title => col::TITLE,
            Field::Artist => col::ARTIST,
            Field::Album => col::ALBUM,
            Field::DurationS => col::DURATION_S,
            Field::Bpm => col::BPM,
            Field::Energy => col::ENERGY,
            Field::HasVocals => col::HAS_VOCALS,
            Field::Tags => col::TAGS,
            Field::Caption => col::CAPTION,
            Field::Key => col::KEY,
            Field::TempoStability => col::TEMPO_STABILITY,
            Field::LoudnessDb => col::LOUDNESS_DB,
        }
    }
}

/// The fields of one hit; a field not asked for (or null) is `None` and left out of JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrackFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bpm: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_vocals: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tempo_stability: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loudness_db: Option<f32>,
}

impl TrackFields {
    /// A text field's value (`None` for a field that is not text).
    pub fn text(&self, f: Field) -> Option<&str> {
        match f {
            Field::Title => self.title.as_deref(),
            Field::Artist => self.artist.as_deref(),
            Field::Album => self.album.as_deref(),
            Field::Caption => self.caption.as_deref(),
            Field::Key => self.key.as_deref(),
            _ => None,
        }
    }

    /// A number field's value (`None` for a field that is not a number).
    pub fn number(&self, f: Field) -> Option<f32> {
        match f {
            Field::DurationS => self.duration_s,
            Field::Bpm => self.bpm,
            Field::Energy => self.energy,
            Field::TempoStability => self.tempo_stability,
            Field::LoudnessDb => self.loudness_db,
            _ => None,
        }
    }
}

/// The track id and `fields` of each of `rows` of `library`, in the order of `rows`.
pub fn track_fields(
    library: &Library,
    rows: &[u64],
    fields: &[Field],
) -> Result<Vec<(String, TrackFields)>, QueryError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let mut columns = vec![col::TRACK_ID];
    for f in fields {
        // A column the library predates is null for every track.
        if !columns.contains(&f.column()) && library.has_column(f.column()) {
            columns.push(f.column());
        }
    }
    let batch = library.take(rows, &columns)?;
    let ids = string_col(&batch, col::TRACK_ID);
    let mut out = Vec::with_capacity(rows.len());
    for i in 0..batch.num_rows() {
        let mut t = TrackFields::default();
        for f in fields {
            match f {
                Field::Title => t.title = text(&batch, col::TITLE, i),
                Field::Artist => t.artist = text(&batch, col::ARTIST, i),
                Field::Album => t.album = text(&batch, col::ALBUM, i),
                Field::Caption => t.caption = text(&batch, col::CAPTION, i),
                Field::DurationS => t.duration_s = number(&batch, col::DURATION_S, i),
                Field::Bpm => t.bpm = number(&batch, col::BPM, i),
                Field::Energy => t.energy = number(&batch, col::ENERGY, i),
                Field::Key => t.key = text(&batch, col::KEY, i),
                Field::TempoStability => {
                    t.tempo_stability = number(&batch, col::TEMPO_STABILITY, i)
                }
                Field::LoudnessDb => t.loudness_db = number(&batch, col::LOUDNESS_DB, i),
                Field::HasVocals => {
                    t.has_vocals = batch
                        .column_by_name(col::HAS_VOCALS)
                        .map(|c| c.as_boolean())
                        .filter(|a| a.is_valid(i))
                        .map(|a| a.value(i));
                }
                Field::Tags => {
                    t.tags = batch
                        .column_by_name(col::TAGS)
                        .map(|c| c.as_list::<i32>())
                        .filter(|a| a.is_valid(i))
                        .map(|a| {
                            let v = a.value(i);
                            v.as_string::<i32>()
                                .iter()
                                .flatten()
                                .map(str::to_string)
                                .collect()
                        });
                }
            }
        }
        let id = ids.map(|a| a.value(i).to_string()).unwrap_or_default();
        out.push((id, t));
    }
    Ok(out)
}

fn string_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a arrow_array::StringArray> {
    batch.column_by_name(name).map(|c| c.as_string::<i32>())
}

fn text(batch: &RecordBatch, name: &str, i: usize) -> Option<String> {
    string_col(batch, name)
        .filter(|a| a.is_valid(i))
        .map(|a| a.value(i).to_string())
}

fn number(batch: &RecordBatch, name: &str, i: usize) -> Option<f32> {
    batch
        .column_by_name(name)
        .map(|c| c.as_primitive::<Float32Type>())
        .filter(|a| a.is_valid(i))
        .map(|a| a.value(i))
        .filter(|x| x.is_finite())
}
