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
}

impl Field {
    /// The scalar fields `segue search --json` prints.
    pub const SCALARS: [Field; 8] = [
        Field::Title,
        Field::Artist,
        Field::Album,
        Field::DurationS,
        Field::Bpm,
        Field::Energy,
        Field::HasVocals,
        Field::Tags,
    ];

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
}

/// Track ids and the asked fields of `rows`, in that order.
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
        if !columns.contains(&f.column()) {
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
