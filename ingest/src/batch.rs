//! Validated records → one Arrow record batch in the library's schema.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, FixedSizeListBuilder, Float32Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef};

use segue_index::schema::{MFCC_LEN, col};
use segue_index::{Dims, EmbeddingKind};

use crate::record::TrackRecord;

fn item(dt: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", dt, true))
}

fn vectors(
    rows: &[TrackRecord],
    dim: u32,
    get: impl Fn(&TrackRecord) -> Option<&[f32]>,
) -> ArrayRef {
    let mut b = FixedSizeListBuilder::with_capacity(
        Float32Builder::with_capacity(rows.len() * dim as usize),
        dim as i32,
        rows.len(),
    )
    .with_field(item(DataType::Float32));
    for r in rows {
        match get(r) {
            Some(v) => {
                b.values().append_slice(v);
                b.append(true);
            }
            None => {
                b.values().append_nulls(dim as usize);
                b.append(false);
            }
        }
    }
    Arc::new(b.finish())
}

/// A list-of-f32 column: null where `get` gives `None`.
fn float_lists(rows: &[TrackRecord], get: impl Fn(&TrackRecord) -> Option<Vec<f32>>) -> ArrayRef {
    let mut b = ListBuilder::new(Float32Builder::new()).with_field(item(DataType::Float32));
    for r in rows {
        match get(r) {
            Some(v) => {
                b.values().append_slice(&v);
                b.append(true);
            }
            None => b.append(false),
        }
    }
    Arc::new(b.finish())
}

fn seconds(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// Builds the batch; the records have been validated against `dims`.
pub fn build(
    schema: &SchemaRef,
    dims: Dims,
    rows: &[TrackRecord],
) -> Result<RecordBatch, ArrowError> {
    let strings = |get: &dyn Fn(&TrackRecord) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
        for r in rows {
            b.append_option(get(r));
        }
        Arc::new(b.finish())
    };
    let floats = |get: &dyn Fn(&TrackRecord) -> Option<f64>| -> ArrayRef {
        let mut b = Float32Builder::with_capacity(rows.len());
        for r in rows {
            b.append_option(get(r).map(|x| x as f32));
        }
        Arc::new(b.finish())
    };
    let mut columns: Vec<ArrayRef> = Vec::new();
    for field in schema.fields() {
        let a: ArrayRef = match field.name().as_str() {
            col::TRACK_ID => strings(&|r| Some(r.track_id.as_str())),
            col::TITLE => strings(&|r| r.title.as_deref()),
            col::ARTIST => strings(&|r| r.artist.as_deref()),
            col::ALBUM => strings(&|r| r.album.as_deref()),
            col::CAPTION => strings(&|r| r.caption.as_deref()),
            col::AUDIO_PATH => strings(&|r| r.audio_path.as_deref()),
            col::DURATION_S => floats(&|r| r.duration_s),
            col::BPM => floats(&|r| r.bpm),
            col::ENERGY => floats(&|r| r.energy),
            col::SPECTRAL_CENTROID => floats(&|r| r.spectral_centroid),
            col::VALENCE => floats(&|r| r.valence),
            col::DANCEABILITY => floats(&|r| r.danceability),
            col::LOUDNESS_DB => floats(&|r| r.loudness_db),
            col::BEATS => float_lists(rows, |r| Some(seconds(&r.analysis.as_ref()?.beats))),
            col::DOWNBEATS => float_lists(rows, |r| Some(seconds(&r.analysis.as_ref()?.downbeats))),
            col::SECTION_STARTS => float_lists(rows, |r| {
                Some(seconds(&r.analysis.as_ref()?.section_starts))
            }),
            col::BAR_ENERGY_DB => {
                float_lists(rows, |r| Some(r.analysis.as_ref()?.bar_energy_db.clone()))
            }
            col::TEMPO_STABILITY => floats(&|r| {
                r.analysis
                    .as_ref()
                    .and_then(|a| a.tempo_stability)
                    .map(f64::from)
            }),
            col::KEY => strings(&|r| r.analysis.as_ref().and_then(|a| a.key.as_deref())),
            col::HAS_VOCALS => {
                let mut b = BooleanBuilder::with_capacity(rows.len());
                for r in rows {
                    b.append_option(r.has_vocals);
                }
                Arc::new(b.finish())
            }
            col::TAGS => {
                let mut b = ListBuilder::new(StringBuilder::new()).with_field(item(DataType::Utf8));
                for r in rows {
                    for t in &r.tags {
                        b.values().append_value(t);
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            col::MFCC => {
                let mut b = FixedSizeListBuilder::new(Float32Builder::new(), MFCC_LEN)
                    .with_field(item(DataType::Float32));
                for r in rows {
                    match &r.mfcc {
                        Some(m) => {
                            for x in m {
                                b.values().append_value(*x as f32);
                            }
                            b.append(true);
                        }
                        None => {
                            b.values().append_nulls(MFCC_LEN as usize);
                            b.append(false);
                        }
                    }
                }
                Arc::new(b.finish())
            }
            name if name == EmbeddingKind::Audio.column() => {
                vectors(rows, dims.audio.unwrap_or(0), |r| r.audio_emb.as_deref())
            }
            name if name == EmbeddingKind::Text.column() => {
                vectors(rows, dims.text.unwrap_or(0), |r| r.text_emb.as_deref())
            }
            other => {
                return Err(ArrowError::SchemaError(format!(
                    "no builder for column {other}"
                )));
            }
        };
        columns.push(a);
    }
    RecordBatch::try_new(schema.clone(), columns)
}
